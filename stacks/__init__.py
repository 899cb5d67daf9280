"""Terraform stacks: one per environment of connectors.yaml."""
