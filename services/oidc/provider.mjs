// A real OpenID Connect provider for the single sign-on tests (panva/oidc-provider),
// on loopback only. Usage:
//   node provider.mjs --port 0 --client-id ID --client-secret SECRET --redirect-uri URI \
//        [--post-logout-uri URI] --users users.json
// users.json: {"alice": {"password": "pw", "email": "...", "given_name": "...",
//              "family_name": "...", "groups": ["team:sales-eng:owner"]}}
// Prints "OIDC_PROVIDER_READY <issuer>" on stdout once listening (port 0: a free one).
// Login and consent are the provider's own HTML pages (devInteractions): a username
// and password form, then an authorize/consent form.
import http from 'node:http';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, i, all) => {
    if (value.startsWith('--')) pairs.push([value.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const users = JSON.parse(fs.readFileSync(args.users, 'utf8'));

const server = http.createServer();
server.listen(Number(args.port || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      post_logout_redirect_uris: args['post-logout-uri'] ? [args['post-logout-uri']] : [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'given_name', 'family_name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => false },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['mesh-catalog-test-only'] },
    findAccount: async (ctx, id) => {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          preferred_username: id,
          email: user.email,
          email_verified: true,
          given_name: user.given_name,
          family_name: user.family_name,
          groups: user.groups || [],
        }),
      };
    },
  });
  // devInteractions accept any login: check the password of our users ourselves.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && /\/interaction\/[^/]+\/login$/.test(ctx.path)) {
      const body = await new Promise((resolve) => {
        let data = '';
        ctx.req.on('data', (chunk) => { data += chunk; });
        ctx.req.on('end', () => resolve(data));
      });
      const form = new URLSearchParams(body);
      const user = users[form.get('login')];
      if (!user || user.password !== form.get('password')) {
        ctx.status = 403;
        ctx.body = 'wrong username or password';
        return;
      }
      const { Readable } = await import('node:stream');
      const replay = Readable.from([body]);
      replay.headers = ctx.req.headers;
      Object.assign(replay, { method: ctx.req.method, url: ctx.req.url });
      ctx.req = replay;
      ctx.request.req = replay;
    }
    await next();
  });
  server.on('request', provider.callback());
  console.log(`OIDC_PROVIDER_READY ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
