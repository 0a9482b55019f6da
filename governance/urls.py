"""Web pages of governance: curation form posts, the glossary, scorecards."""

from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("governance/curate", views.curate_asset, name="curate"),
    path("governance/classes/<int:pk>/decide", views.decide_class, name="decide"),
    path("glossary/", views.glossary_home, name="glossary"),
    path("glossary/import", views.glossary_import, name="glossary-import"),
    path("glossary/export.<str:fmt>", views.glossary_export, name="glossary-export"),
    path("glossary/terms/<slug:slug>/", views.term_detail, name="term"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/products/<str:uid>/", views.product_scorecard, name="product-scorecard"),
    path("scorecards/domains/<slug:slug>/", views.domain_scorecard, name="domain-scorecard"),
]
