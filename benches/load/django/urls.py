"""The cas_server URLs under /cas/, as its README mounts them (the same
paths as cas-node's default --context /cas)."""

from django.urls import include, re_path

urlpatterns = [
    re_path(r"^cas/", include("cas_server.urls", namespace="cas_server")),
]
