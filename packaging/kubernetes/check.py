#!/usr/bin/python3
"""check.py MANIFEST SCHEMA: the DaemonSet in MANIFEST against SCHEMA (JSON
schema, draft 2020-12), plus what a schema cannot say: the selector matches
the pod's labels, every volumeMount names a volume, the config's prometheus
port is the one annotated and exposed, and the embedded fastpath.yaml
parses. Prints one line per problem; exits 1 if there is any."""
import json, sys
import jsonschema, yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
schema = json.load(open(sys.argv[2]))
errors = []
ds = [d for d in docs if d.get("kind") == "DaemonSet"]
if len(ds) != 1:
    errors.append("want one DaemonSet, found %d" % len(ds))
for d in ds:
    v = jsonschema.Draft202012Validator(schema)
    for e in sorted(v.iter_errors(d), key=str):
        errors.append("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
    if errors:
        break
    tpl = d["spec"]["template"]
    sel = d["spec"]["selector"]["matchLabels"]
    labels = tpl["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        errors.append("selector %s does not match the pod labels %s" % (sel, labels))
    vols = {v["name"] for v in tpl["spec"]["volumes"]}
    for c in tpl["spec"]["containers"]:
        for m in c["volumeMounts"]:
            if m["name"] not in vols:
                errors.append("container %s mounts unknown volume %s" % (c["name"], m["name"]))
    port = tpl["metadata"]["annotations"]["prometheus.io/port"]
    exposed = {str(p["containerPort"]) for c in tpl["spec"]["containers"] for p in c.get("ports", [])}
    if port not in exposed:
        errors.append("annotated port %s is not a containerPort" % port)
    for cm in (x for x in docs if x.get("kind") == "ConfigMap"):
        cfg = yaml.safe_load(cm["data"]["fastpath.yaml"])
        pp = str(cfg.get("orchestrator", {}).get("prometheus_port", 9090))
        if pp != port:
            errors.append("config's prometheus_port %s, annotation %s" % (pp, port))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
