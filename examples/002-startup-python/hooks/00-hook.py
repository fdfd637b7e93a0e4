#!/usr/bin/env python3
"""Runs once when the operator starts; written in Python."""
import json
import os
import sys

if len(sys.argv) > 1 and sys.argv[1] == "--config":
    print(json.dumps({"configVersion": "v1", "onStartup": 10}))
    sys.exit(0)

with open(os.environ["BINDING_CONTEXT_PATH"]) as f:
    contexts = json.load(f)
for ctx in contexts:
    print(f"python hook: binding {ctx['binding']} fired")
