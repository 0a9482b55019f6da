"""Web pages of the products app: products (and their ports, SLOs, members), domains
and teams, one module each."""
