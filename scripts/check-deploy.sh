#!/usr/bin/env bash
# Checks the container files without a container engine (none runs where Revive is developed):
#   deploy/compose.yaml  parses as YAML (PyYAML; else the `yaml` package in web/node_modules; else
#                        a small outline reader), every service has an image or a build and a
#                        health check (or is a one-shot job), depends_on names real services with
#                        valid conditions, named volumes are declared, bind-mounted files exist,
#                        and the parts Revive relies on are there (pgvector, Redis with appendonly,
#                        an API with RUN_WORKERS=false, a worker service);
#   Dockerfile           every line is a known instruction, a continuation, a comment or blank;
#                        FROM comes first; COPY --from names an earlier stage; build-context
#                        sources exist and are not excluded by .dockerignore; the final stage runs
#                        as a non-root USER, sets WEB_DIST_DIR and exposes BIND_ADDR's default port.
# Syntax and consistency only: nothing is built, pulled or started. Exits non-zero on a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null 2>&1 || { echo "[deploy] python3 is required" >&2; exit 2; }
exec python3 - <<'PY'
import fnmatch, glob, json, os, re, shutil, subprocess, sys

errors = []
def fail(where, msg):
    errors.append(f"{where}: {msg}")

# --- YAML -----------------------------------------------------------------------------------

def outline(text):
    """A last-resort reader for block-style YAML as compose files use it: nested mappings, `- `
    list items, scalars, `&anchor` / `*alias` and `<<: *alias` merges. Flow collections and
    multi-line scalars are kept as strings. Enough to check keys, not a YAML parser."""
    anchors = {}
    root = {}
    stack = [(-1, root)]  # (indent, container)
    def scalar(v):
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            return v[1:-1]
        if v.startswith("[") and v.endswith("]"):
            return [scalar(x) for x in v[1:-1].split(",") if x.strip()]
        if v.startswith("*"):
            return anchors.get(v[1:], {})
        return v
    for n, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {n}: tab in indentation")
        line = re.sub(r"\s+#.*$", "", raw) if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        while stack and indent <= stack[-1][0]:
            stack.pop()
        if not stack:
            raise ValueError(f"line {n}: bad indentation")
        parent = stack[-1][1]
        if body.startswith("- "):
            item = body[2:]
            if not isinstance(parent, list):
                raise ValueError(f"line {n}: list item where a mapping was expected")
            m = re.match(r"^([^:'\"\s][^:'\"]*):(\s+(.*))?$", item)
            if m:
                d = {m.group(1).strip(): scalar(m.group(3)) if m.group(3) else None}
                parent.append(d)
                stack.append((indent + 1, d))
            else:
                parent.append(scalar(item))
            continue
        m = re.match(r"^(<<|[^:'\"]+|\"[^\"]+\"|'[^']+'):(\s+(.*))?$", body)
        if not m or not isinstance(parent, dict):
            raise ValueError(f"line {n}: cannot read {body!r}")
        key, value = scalar(m.group(1)), (m.group(3) or "").strip()
        anchor = None
        if value.startswith("&"):
            anchor, _, value = value.partition(" ")
            anchor, value = anchor[1:], value.strip()
        if key == "<<":
            src = scalar(value)
            if isinstance(src, dict):
                for k, v in src.items():
                    parent.setdefault(k, v)
            continue
        if value == "" or value in ("|", ">", "|-", ">-"):
            # A nested block follows; its kind is decided by its first line.
            child = None
            nxt = next((l for l in text.splitlines()[n:] if l.strip() and not l.lstrip().startswith("#")), "")
            child = [] if nxt.strip().startswith("- ") and value == "" else ({} if value == "" else "")
            parent[key] = child
            if anchor:
                anchors[anchor] = child
            if isinstance(child, (dict, list)):
                stack.append((indent, child))
            else:
                stack.append((indent, {}))  # swallow block scalar lines
        else:
            parent[key] = scalar(value)
            if anchor:
                anchors[anchor] = parent[key]
    return root

def load_yaml(path):
    text = open(path, encoding="utf-8").read()
    if os.environ.get("REVIVE_CHECK_YAML") != "outline":
        try:
            import yaml  # PyYAML: merge keys and anchors as compose reads them
            return yaml.safe_load(text), "PyYAML"
        except ImportError:
            pass
        node_yaml = os.path.join("web", "node_modules", "yaml")
        if os.path.isdir(node_yaml) and shutil.which("node") and os.environ.get("REVIVE_CHECK_YAML") != "python":
            js = ("const Y=require(process.argv[1]);const fs=require('fs');"
                  "process.stdout.write(JSON.stringify(Y.parse(fs.readFileSync(process.argv[2],'utf8'),{merge:true})))")
            out = subprocess.run(["node", "-e", js, os.path.abspath(node_yaml), path],
                                 capture_output=True, text=True, timeout=10)
            if out.returncode != 0:
                raise ValueError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "node yaml failed")
            return json.loads(out.stdout), "yaml (node)"
    return outline(text), "outline reader"

# --- compose ------------------------------------------------------------------------------------

COMPOSE = "deploy/compose.yaml"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# The Compose specification's keys: compose refuses others (except x-...), so a typo is an error.
TOP_KEYS = {"version", "name", "include", "services", "networks", "volumes", "configs", "secrets", "models"}
SERVICE_KEYS = set("""annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command
    configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime
    cpu_shares cpus cpuset credential_spec depends_on deploy develop device_cgroup_rules devices dns
    dns_opt dns_search domainname driver_opts entrypoint env_file environment expose extends
    external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels
    label_file links logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit models
    network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start
    pre_stop privileged profiles provider pull_policy read_only restart runtime scale secrets
    security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty
    ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir""".split())
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}

def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]

def command_text(svc):
    c = svc.get("command")
    return " ".join(str(x) for x in c) if isinstance(c, list) else str(c or "")

def env_of(svc):
    e = svc.get("environment") or {}
    if isinstance(e, list):
        return dict(x.split("=", 1) if "=" in x else (x, "") for x in e)
    return {str(k): "" if v is None else str(v) for k, v in e.items()}

def one_shot(svc):
    return str(svc.get("restart", "")).lower() in ("no", "false")

def check_compose():
    if not os.path.isfile(COMPOSE):
        return fail(COMPOSE, "missing")
    try:
        doc, how = load_yaml(COMPOSE)
    except Exception as e:  # any parse error is the finding
        return fail(COMPOSE, f"not valid YAML: {e}")
    if not isinstance(doc, dict):
        return fail(COMPOSE, "top level is not a mapping")
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        return fail(COMPOSE, "no services")
    base = os.path.dirname(COMPOSE)
    for key in doc:
        if key not in TOP_KEYS and not str(key).startswith("x-"):
            fail(COMPOSE, f"unknown top-level key {key!r}")
    declared_volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        where = f"{COMPOSE}: services.{name}"
        if not isinstance(svc, dict):
            fail(where, "is not a mapping"); continue
        for key in svc:
            if key not in SERVICE_KEYS and not str(key).startswith("x-"):
                fail(where, f"unknown key {key!r}")
        if not svc.get("image") and not svc.get("build"):
            fail(where, "has neither image nor build")
        build = svc.get("build")
        if isinstance(build, dict) or isinstance(build, str):
            ctx = build if isinstance(build, str) else build.get("context", ".")
            ctx_path = os.path.normpath(os.path.join(base, ctx))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            if not os.path.isdir(ctx_path):
                fail(where, f"build context {ctx} does not exist")
            elif not os.path.isfile(os.path.join(ctx_path, dockerfile)):
                fail(where, f"build context has no {dockerfile}")
        hc = svc.get("healthcheck")
        if hc is None:
            if not one_shot(svc):
                fail(where, "has no healthcheck (and is not a one-shot job with restart: \"no\")")
        elif not isinstance(hc, dict):
            fail(where, "healthcheck is not a mapping")
        elif set(hc) - HEALTHCHECK_KEYS:
            fail(where, f"healthcheck has unknown keys {sorted(set(hc) - HEALTHCHECK_KEYS)}")
        elif not (hc.get("disable") in (True, "true") or hc.get("test")):
            fail(where, "healthcheck has neither test nor disable: true")
        deps = svc.get("depends_on") or {}
        for dep in (deps if isinstance(deps, list) else deps.keys()):
            if dep not in services:
                fail(where, f"depends_on names unknown service {dep!r}"); continue
            cond = deps[dep].get("condition", "service_started") if isinstance(deps, dict) and isinstance(deps[dep], dict) else "service_started"
            target = services[dep] if isinstance(services[dep], dict) else {}
            if cond not in CONDITIONS:
                fail(where, f"depends_on.{dep} has unknown condition {cond!r}")
            elif cond == "service_healthy":
                thc = target.get("healthcheck") or {}
                if not thc.get("test") or thc.get("disable") in (True, "true"):
                    fail(where, f"waits for {dep} to be healthy, but {dep} has no health check")
            elif cond == "service_completed_successfully" and not one_shot(target):
                fail(where, f"waits for {dep} to complete, but {dep} is not a one-shot job")
        for vol in as_list(svc.get("volumes")):
            src = vol.get("source") if isinstance(vol, dict) else str(vol).split(":")[0]
            if not src:
                continue
            if src.startswith((".", "/", "~")):
                if src.startswith(".") and not os.path.exists(os.path.join(base, src)):
                    fail(where, f"bind-mounted {src} does not exist")
            elif src not in declared_volumes:
                fail(where, f"named volume {src!r} is not declared under volumes")
        for ef in as_list(svc.get("env_file")):
            path = ef.get("path") if isinstance(ef, dict) else str(ef)
            full = os.path.join(base, path)
            if not os.path.exists(full) and not os.path.exists(full + ".example"):
                fail(where, f"env_file {path} has no {path}.example to start from")

    # What Revive's deployment relies on.
    svcs = [s for s in services.values() if isinstance(s, dict)]
    if not any(str(s.get("image", "")).startswith("pgvector/pgvector:") for s in svcs):
        fail(COMPOSE, "no PostgreSQL service with pgvector (image pgvector/pgvector:...)")
    redis = [s for s in svcs if str(s.get("image", "")).startswith("redis")]
    if not redis:
        fail(COMPOSE, "no Redis service")
    elif not any(re.search(r"--appendonly\s+yes", command_text(s)) for s in redis):
        fail(COMPOSE, "Redis runs without --appendonly yes")
    apis = [s for s in svcs if "revive-api" in command_text(s)]
    if not apis:
        fail(COMPOSE, "no service runs revive-api")
    for s in apis:
        if env_of(s).get("RUN_WORKERS", "").lower() not in ("false", "0", "no", "off"):
            fail(COMPOSE, "a revive-api service runs workers in-process (set RUN_WORKERS: \"false\")")
    if not any("revive-workers" in command_text(s) for s in svcs):
        fail(COMPOSE, "no service runs revive-workers")
    print(f"[deploy] {COMPOSE}: {len(services)} services ({how})")

# --- Dockerfile ---------------------------------------------------------------------------------

DOCKERFILE = "Dockerfile"
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
                "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
                "HEALTHCHECK", "SHELL"}

def dockerignore_patterns():
    pats = []
    if os.path.isfile(".dockerignore"):
        for l in open(".dockerignore", encoding="utf-8"):
            l = l.strip()
            if l and not l.startswith("#"):
                pats.append(l)
    return pats

def ignored(path, pats):
    path = os.path.normpath(path)
    parts = path.split(os.sep)
    result = False
    for p in pats:
        neg = p.startswith("!")
        p = os.path.normpath(p.lstrip("!").lstrip("/"))
        hit = False
        for i in range(1, len(parts) + 1):
            prefix = os.sep.join(parts[:i])
            if fnmatch.fnmatch(prefix, p) or (p.startswith("**" + os.sep) and fnmatch.fnmatch(prefix, p[3:])) \
               or (p.startswith("**" + os.sep) and any(fnmatch.fnmatch(os.sep.join(parts[j:i]), p[3:]) for j in range(i))):
                hit = True
                break
        if hit:
            result = not neg
    return result

def logical_lines(text):
    """Joins continuation lines; drops comments and blank lines (also inside continuations)."""
    out, buf, start = [], "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and (not s or s.startswith("#")):
            continue
        if not buf:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        out.append((start, buf + s))
        buf = ""
    if buf:
        out.append((start, buf.strip()))
    return out

def non_root(user):
    u = user.split(":")[0].strip()
    return u not in ("", "root", "0")

def check_dockerfile():
    if not os.path.isfile(DOCKERFILE):
        return fail(DOCKERFILE, "missing")
    text = open(DOCKERFILE, encoding="utf-8").read()
    pats = dockerignore_patterns()
    stages = []           # names (or indexes) of stages seen so far
    seen_from = False
    users, final_user, final_env, final_expose = [], None, {}, []
    for n, line in logical_lines(text):
        where = f"{DOCKERFILE}:{n}"
        word, _, rest = line.partition(" ")
        ins = word.upper()
        rest = rest.strip()
        if ins not in INSTRUCTIONS:
            fail(where, f"unknown instruction {word!r}"); continue
        if "<<" in rest and re.search(r"<<-?\s*['\"]?[A-Z]+", rest) and ins in ("RUN", "COPY"):
            fail(where, "heredocs are not supported by this check"); continue
        if not seen_from and ins not in ("FROM", "ARG"):
            fail(where, f"{ins} before the first FROM"); continue
        if ins == "FROM":
            seen_from = True
            m = re.match(r"^(--platform=\S+\s+)?(\S+)(\s+AS\s+(\S+))?$", rest, re.I)
            if not m:
                fail(where, f"cannot read FROM {rest!r}"); continue
            stages.append((m.group(4) or str(len(stages))).lower())
            final_user, final_env, final_expose = None, {}, []
        elif ins == "USER":
            if not rest:
                fail(where, "USER without a user")
            users.append(rest)
            final_user = rest
        elif ins == "ENV":
            for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                final_env[k] = v.strip('"')
        elif ins == "EXPOSE":
            for p in rest.split():
                if not re.match(r"^\d{1,5}(/(tcp|udp))?$", p) or not 0 < int(p.split("/")[0]) < 65536:
                    fail(where, f"bad port {p!r}")
                final_expose.append(p.split("/")[0])
        elif ins in ("CMD", "ENTRYPOINT") and rest.startswith("["):
            try:
                json.loads(rest)
            except ValueError:
                fail(where, f"{ins} is not valid JSON (exec form)")
        elif ins == "HEALTHCHECK":
            if not (re.search(r"(^|\s)CMD\s", rest + " ") or rest.upper() == "NONE"):
                fail(where, "HEALTHCHECK without CMD (or NONE)")
        elif ins in ("COPY", "ADD"):
            args = rest.split()
            opts = [a for a in args if a.startswith("--")]
            paths = [a for a in args if not a.startswith("--")]
            if len(paths) < 2:
                fail(where, f"{ins} needs a source and a destination"); continue
            src_from = next((o.split("=", 1)[1] for o in opts if o.startswith("--from=")), None)
            if src_from is not None:
                known = stages[:-1]
                if src_from.lower() not in known and not re.search(r"[:/]", src_from):
                    fail(where, f"COPY --from={src_from} names no earlier stage")
                continue
            for src in paths[:-1]:
                if re.match(r"^https?://", src):
                    continue
                if not glob.glob(src):
                    fail(where, f"{src} is not in the build context")
                elif ignored(src, pats):
                    fail(where, f"{src} is excluded by .dockerignore")
    if not seen_from:
        fail(DOCKERFILE, "no FROM")
    if not any(non_root(u) for u in users):
        fail(DOCKERFILE, "no non-root USER")
    if final_user is None or not non_root(final_user):
        fail(DOCKERFILE, "the final stage does not run as a non-root USER")
    if "WEB_DIST_DIR" not in final_env:
        fail(DOCKERFILE, "the final stage does not set WEB_DIST_DIR")
    port = "8080"
    if os.path.isfile(".env.example"):
        m = re.search(r"^BIND_ADDR=.*:(\d+)\s*$", open(".env.example", encoding="utf-8").read(), re.M)
        port = m.group(1) if m else port
    if port not in final_expose:
        fail(DOCKERFILE, f"the final stage does not EXPOSE {port} (BIND_ADDR's default port)")
    print(f"[deploy] {DOCKERFILE}: {len(stages)} stages, final user {final_user}")

check_compose()
check_dockerfile()
if errors:
    for e in errors:
        print(f"[deploy] {e}", file=sys.stderr)
    sys.exit(1)
print("[deploy] ok (syntax and consistency only: nothing was built or run)")
PY
