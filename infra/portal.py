"""The patient portal's hosting (CONTRACT §11): its own stack, beside the stage's data and API stack.

* **A private bucket behind CloudFront.** No public access, no website endpoint: CloudFront reads it through an
  origin access control (SigV4), and the bucket policy lets only this distribution read. The files are the
  portal's static build (no health data): S3-managed encryption, versioned, TLS only.
* **TLS on the portal's own domain** (an ACM certificate of us-east-1, as CloudFront requires; TLS 1.2 minimum,
  HTTP redirected to HTTPS). The domain is a setting, so the portal's origin is known at synthesis and the API's
  CORS (the Chalice app, `app.py`) allows exactly it.
* **Security headers** from the one definition the local portal server also applies (`portal/security-headers.json`):
  a strict Content-Security-Policy whose ``connect-src`` names the API, the documents bucket (presigned uploads)
  and the patients' identity provider; HSTS; frame-ancestors none and X-Frame-Options DENY; nosniff; no referrer.
* **Single-page fallback** in a CloudFront Function (viewer request): a path without a file extension is the app's
  own route and gets ``/index.html``; a missing asset stays a 404.
* **Deployment**: the build (`portal/dist`, `make portal`) and the stage's runtime ``config.json`` (API URL,
  stage, OIDC client) are copied by ``BucketDeployment``; hashed assets are immutable, ``index.html`` and
  ``config.json`` are revalidated and invalidated at each deployment. One build serves every stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.settings import StageSettings

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "portal" / "dist"
HEADERS = ROOT / "portal" / "security-headers.json"
CALLBACK_PATH = "/connexion/retour"  # the portal's OIDC redirect route (portal/src/App.tsx)

# Viewer request: the app's own routes (no file extension) are served index.html; files are served as they are.
SPA_FALLBACK = """
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (request.uri.indexOf('/assets/') !== 0 && last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
""".strip()


def header_definition() -> dict[str, Any]:
    return json.loads(HEADERS.read_text(encoding="utf-8"))


def origin_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


class PortalStack(cdk.Stack):
    def __init__(self, scope: Construct, settings: StageSettings, *, api_url: str, api_origin: str,
                 upload_origins: list[str], dist: Path = DIST, **kwargs: Any) -> None:
        super().__init__(scope, f"{settings.stage}-portal", stack_name=f"ens-{settings.stage}-portal",
                         description=f"ens ({settings.stage}): the patient portal, static files behind CloudFront",
                         **kwargs)
        if not (dist / "index.html").is_file():
            raise SystemExit(f"the portal is not built ({dist}/index.html is missing): run `make portal` first")
        cdk.Tags.of(self).add("app", "ens")
        cdk.Tags.of(self).add("stage", settings.stage)
        self.settings = settings
        issuer = settings.patients_issuer["issuer"]

        self.bucket = s3.Bucket(
            self, "PortalBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(id="old-builds", noncurrent_version_expiration=cdk.Duration.days(30))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.headers_policy = self._headers_policy([api_origin, *upload_origins, origin_of(issuer)])
        fallback = cloudfront.Function(
            self, "SinglePageFallback", runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="The portal's routes are served index.html", code=cloudfront.FunctionCode.from_inline(SPA_FALLBACK))
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment=f"ens {settings.stage}: patient portal",
            default_root_object="index.html",
            domain_names=[settings.portal.domain],
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", settings.portal.certificate_arn),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers_policy,
                compress=True,
                function_associations=[cloudfront.FunctionAssociation(
                    function=fallback, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)],
            ),
        )
        self.runtime_config = {
            "api_url": api_url,
            "stage": settings.stage,
            "oidc": {
                "authority": issuer,
                "client_id": settings.portal.oidc_client_id,
                "scope": settings.portal.oidc_scope,
                "redirect_uri": f"{settings.portal.origin}{CALLBACK_PATH}",
                "post_logout_redirect_uri": f"{settings.portal.origin}/connexion",
            },
        }
        self._deploy(dist)
        cdk.CfnOutput(self, "PortalUrl", value=settings.portal.origin)
        cdk.CfnOutput(self, "PortalDistributionDomain", value=self.distribution.distribution_domain_name,
                      description="Point the portal's domain (CNAME or alias) here.")
        cdk.CfnOutput(self, "PortalBucketName", value=self.bucket.bucket_name)

    def _headers_policy(self, connect: list[str]) -> cloudfront.ResponseHeadersPolicy:
        spec = header_definition()
        directives = {name: list(values) for name, values in spec["content_security_policy"].items()}
        directives["connect-src"] = list(dict.fromkeys(directives["connect-src"] + connect))
        csp = cdk.Fn.join("; ", [cdk.Fn.join(" ", [name, *values]) for name, values in directives.items()])
        hsts = spec["strict_transport_security"]
        frame = {"DENY": cloudfront.HeadersFrameOption.DENY, "SAMEORIGIN": cloudfront.HeadersFrameOption.SAMEORIGIN}
        return cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            response_headers_policy_name=f"ens-{self.settings.stage}-portal-security",
            comment="ens patient portal: the headers of portal/security-headers.json",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.seconds(hsts["max_age_seconds"]),
                    include_subdomains=hsts["include_subdomains"], preload=hsts["preload"], override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=frame[spec["frame_options"]], override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy(spec["referrer_policy"].upper().replace("-", "_")),
                    override=True),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=[
                cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                for name, value in spec.get("custom", {}).items()]),
            remove_headers=["Server"],
        )

    def _deploy(self, dist: Path) -> None:
        entry = ["index.html", "config.json"]
        assets = s3deploy.BucketDeployment(
            self, "DeployAssets",
            sources=[s3deploy.Source.asset(str(dist), exclude=entry)],
            destination_bucket=self.bucket,
            prune=False,  # a page loaded before this deployment still finds its hashed files
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=31536000, immutable")],
            memory_limit=512,
        )
        entry_deployment = s3deploy.BucketDeployment(
            self, "DeployEntry",
            sources=[s3deploy.Source.asset(str(dist)), s3deploy.Source.json_data("config.json", self.runtime_config)],
            destination_bucket=self.bucket,
            exclude=["*"], include=entry,
            prune=False,
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=[f"/{name}" for name in entry],
            memory_limit=512,
        )
        entry_deployment.node.add_dependency(assets)  # the new index.html only once its assets are there
        # CDK's copying function (one, shared by both deployments) depends on its role both by DependsOn and by
        # GetAtt; cfn-lint warns of the redundancy (W3005) in code that is CDK's, not ours.
        for child in self.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                function = child.node.default_child
                assert isinstance(function, cdk.CfnResource)
                function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
