"""ens in AWS: the CDK (v2) app that deploys the Chalice app and every resource of `chalicelib.resources`.

`python infra/app.py` (what `make synth` runs) synthesizes the CloudFormation templates into `infra/cdk.out/`
with no AWS account; `make deploy` deploys them (docs/deploy.md).
"""
