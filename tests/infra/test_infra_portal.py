"""The patient portal's hosting in the synthesized templates (`infra/portal.py`): a private bucket behind CloudFront
with origin access control, TLS on the portal's domain, the security headers of `portal/security-headers.json`, the
single-page fallback, the build and its runtime configuration deployed; the API's CORS and the documents bucket's
allow the portal's origin only."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from synth_support import ROOT, STAGE

from infra.settings import load


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    [found] = of_type(template, kind).values()
    return found["Properties"]


@pytest.fixture(scope="session")
def portal(assembly: Path) -> dict[str, Any]:
    return json.loads((assembly / f"{STAGE}-portal.template.json").read_text())


@pytest.fixture(scope="session")
def settings(cdk_context: dict[str, Any]) -> Any:
    return load(STAGE, cdk_context[f"ens:{STAGE}"])


def text(value: Any) -> str:
    """A template value as text, CloudFormation functions included (to look for the parts that are literal)."""
    return json.dumps(value)


def test_the_bucket_is_private_tls_only_and_readable_by_the_distribution_alone(portal: dict[str, Any]) -> None:
    bucket = one(portal, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "WebsiteConfiguration" not in bucket
    statements = one(portal, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    [read] = [s for s in statements if s["Effect"] == "Allow" and s.get("Principal") ==
              {"Service": "cloudfront.amazonaws.com"}]
    assert read["Action"] == "s3:GetObject"
    [distribution_id] = of_type(portal, "AWS::CloudFront::Distribution")
    assert distribution_id in text(read["Condition"])  # AWS:SourceArn: this distribution only
    oac = one(portal, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["SigningProtocol"] == "sigv4"


def test_the_distribution_serves_the_portals_domain_over_tls_only(portal: dict[str, Any], settings: Any) -> None:
    config = one(portal, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert config["Aliases"] == [settings.portal.domain]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == settings.portal.certificate_arn
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    [origin] = config["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    assert config["DefaultRootObject"] == "index.html"


def test_every_answer_carries_the_headers_of_the_one_definition(portal: dict[str, Any]) -> None:
    spec = json.loads((ROOT / "portal" / "security-headers.json").read_text())
    policy = one(portal, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    csp = text(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for name, values in spec["content_security_policy"].items():
        if name != "connect-src":
            assert f"{name} {' '.join(values)}" in csp, name
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    # connect-src: the API, the documents bucket (presigned uploads) and the patients' identity provider
    assert "execute-api" in csp and "ExportsOutputRefRestAPI" in csp
    assert ".s3.eu-west-3.amazonaws.com" in csp and "ExportsOutputRefBucketdocuments" in csp
    assert "https://connexion.monespacesante.example" in csp
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] and hsts["Override"]
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == spec["referrer_policy"]
    custom = {h["Header"]: h["Value"] for h in policy["CustomHeadersConfig"]["Items"]}
    assert custom == spec["custom"]
    behavior = one(portal, "AWS::CloudFront::Distribution")["DistributionConfig"]["DefaultCacheBehavior"]
    assert "ResponseHeadersPolicyId" in behavior


def test_the_apps_routes_fall_back_to_index_html_and_missing_assets_stay_404(portal: dict[str, Any]) -> None:
    code = one(portal, "AWS::CloudFront::Function")["FunctionCode"]
    script = code + "\nconsole.log(JSON.stringify(['/documents', '/messages/c-1', '/assets/index-1.js', "
    script += "'/config.json', '/'].map(u => handler({request: {uri: u}}).uri)));"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout) == ["/index.html", "/index.html", "/assets/index-1.js", "/config.json",
                                       "/index.html"]
    behavior = one(portal, "AWS::CloudFront::Distribution")["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["FunctionAssociations"][0]["EventType"] == "viewer-request"


def test_the_build_and_its_runtime_configuration_are_deployed(portal: dict[str, Any], settings: Any,
                                                               assembly: Path) -> None:
    deployments = [d["Properties"] for d in of_type(portal, "Custom::CDKBucketDeployment").values()]
    assert len(deployments) == 2
    entry = next(d for d in deployments if "DistributionPaths" in d)
    assert sorted(entry["DistributionPaths"]) == ["/config.json", "/index.html"]
    assert entry["SystemMetadata"]["cache-control"] == "no-cache"
    assets = next(d for d in deployments if "DistributionPaths" not in d)
    assert "immutable" in assets["SystemMetadata"]["cache-control"]
    assert all(d["Prune"] is False for d in deployments)
    # config.json: the API of the stage and the patients' issuer with the portal's client, PKCE on the portal's side
    markers = text(entry["SourceMarkers"])  # values CloudFormation knows only at deployment, written in then
    assert "execute-api" in markers and "/v1" in markers
    issuer = settings.patients_issuer["issuer"]
    bundled = [p for p in assembly.glob("asset.*") if p.is_dir() and (p / "config.json").exists()]
    [folder] = bundled
    raw = (folder / "config.json").read_text()
    runtime = json.loads(re.sub(r"<<marker:0xbaba:\d+>>", '"https://api.at.deployment"', raw))
    assert runtime["api_url"] == "https://api.at.deployment"
    assert runtime["stage"] == STAGE
    assert runtime["oidc"]["authority"] == issuer
    assert runtime["oidc"]["client_id"] == settings.portal.oidc_client_id
    assert runtime["oidc"]["redirect_uri"] == f"https://{settings.portal.domain}/connexion/retour"
    assert any((p / "index.html").exists() for p in assembly.glob("asset.*") if p.is_dir())


def test_the_apis_cors_and_the_documents_bucket_allow_the_portals_origin_only(template_json: dict[str, Any],
                                                                            settings: Any) -> None:
    origin = settings.portal.origin
    api = json.dumps(template_json)
    assert f"'{origin}'" in api  # API Gateway's preflight answers (Chalice's CORS from app.py)
    lambdas = [r["Properties"] for r in of_type(template_json, "AWS::Serverless::Function").values()]
    assert all(f["Environment"]["Variables"]["ENS_PORTAL_ORIGIN"] == origin for f in lambdas)
    rules = [r for b in of_type(template_json, "AWS::S3::Bucket").values()
             for r in b["Properties"].get("CorsConfiguration", {}).get("CorsRules", [])]
    assert rules and all(r["AllowedOrigins"] == [origin] and r["AllowedMethods"] == ["PUT"] for r in rules)
