"""Tools a reviewer runs on synthesized stacks: what each job runs, what starts it and when it fires next, in
words (`describe`) and as Mermaid pictures for the docs (`mermaid`), so a pull request's effect on jobs can be
read without reading cdk.tf.json. `python -m review --help` lists the commands (see `review.cli`)."""
