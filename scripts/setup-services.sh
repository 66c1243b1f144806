#!/usr/bin/env bash
# Brings up the runtime services Revive needs on a Debian machine (see SPEC.md,
# "Runtime parts and how they start"):
#   1. PostgreSQL on 127.0.0.1:5432 (Debian packages, Debian cluster tooling)
#   2. pgvector, built from the NEXT Debian release's source package, because
#      the current release (Debian 12) ships no pgvector binary package
#   3. roles revive_owner / revive_app / revive_lookup, databases revive / revive_test / revive_sqlx (scratch for scripts/sqlx-prepare.sh)
#   4. Redis on 127.0.0.1:6379
#
# External services: when DATABASE_URL / REDIS_URL are set, that service is
# only checked, never installed or started.
#
# Idempotent and cheap when everything is in place: every step checks first
# (dpkg-query, file existence, a ping) and only then does apt or build work.
# Project-local state (private apt config, build tree, Redis data) lives under
# <repo>/.local/, which is git-ignored. The machine's own apt configuration is
# never modified.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
LOCAL_DIR="$REPO_ROOT/.local"

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
# Upper bound for a service to come up after we started it.
WAIT_SECS=${SETUP_WAIT_SECS:-60}

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- privileges --------------------------------------------------------------
# Root runs everything directly; anyone else gets the privileged steps through
# sudo (apt, cluster control, `make install`, acting as the postgres user).
if [[ $EUID -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    die "not root and no sudo: run this script as root"
fi
as_root() { "${SUDO[@]}" "$@"; }

# --- helpers -----------------------------------------------------------------
# Polls a command until it succeeds or WAIT_SECS pass (no fixed sleeps).
wait_for() {
    local what=$1; shift
    local deadline=$((SECONDS + WAIT_SECS))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
    log "$what is up"
}

# Prints those of the given Debian packages that are not installed.
missing_pkgs() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
    done
}

APT_UPDATED=0
# Installs the given packages; refreshes the system's package lists once per
# run, and only when something actually has to be installed.
apt_install() {
    (($#)) || return 0
    if ((!APT_UPDATED)); then
        log "apt-get update"
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    log "installing: $*"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@"
}

ensure_pkgs() {
    local missing
    missing=$(missing_pkgs "$@")
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    [[ -z $missing ]] || apt_install $missing
}

# --- 1. PostgreSQL -----------------------------------------------------------
PG_MAJOR=
PG_CONFIG=

pg_ready() {
    command -v pg_isready >/dev/null 2>&1 &&
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
}

# The major to build against: the cluster that owns our port if there is one,
# else the newest installed server.
detect_pg_major() {
    local v="" d
    if command -v pg_lsclusters >/dev/null 2>&1; then
        v=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1; exit }') || v=""
    fi
    if [[ -z $v ]]; then
        for d in /usr/lib/postgresql/*/bin/postgres; do
            [[ -x $d ]] || continue
            d=${d#/usr/lib/postgresql/}
            d=${d%%/*}
            if [[ -z $v ]] || ((d > v)); then v=$d; fi
        done
    fi
    [[ -n $v ]] || die "could not detect the installed PostgreSQL major version"
    PG_MAJOR=$v
    PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
}

install_postgres() {
    ensure_pkgs postgresql postgresql-client build-essential dpkg-dev ca-certificates
    detect_pg_major
    # Headers and PGXS for building pgvector against exactly this major.
    ensure_pkgs "postgresql-server-dev-$PG_MAJOR"
}

start_postgres() {
    pg_ready && return 0
    # pg_lsclusters -h: "ver name port status owner datadir logfile"
    local clusters line ver name status
    clusters=$(pg_lsclusters -h 2>/dev/null) || clusters=""
    line=$(awk -v p="$PG_PORT" '$3 == p { print $1, $2, $4; exit }' <<<"$clusters")
    if [[ -n $line ]]; then
        read -r ver name status <<<"$line"
        if [[ $status != online* ]]; then
            log "starting PostgreSQL cluster $ver/$name"
            # No systemd on these machines: talk to pg_ctl directly.
            as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
        fi
    elif [[ -z $clusters ]]; then
        log "creating PostgreSQL cluster $PG_MAJOR/main on port $PG_PORT"
        as_root pg_createcluster "$PG_MAJOR" main --port "$PG_PORT" --start
    else
        die "PostgreSQL clusters exist but none uses port $PG_PORT:"$'\n'"$clusters"
    fi
    wait_for "PostgreSQL on $PG_HOST:$PG_PORT" pg_ready ||
        die "PostgreSQL did not answer on $PG_HOST:$PG_PORT within ${WAIT_SECS}s (see /var/log/postgresql/)"
}

# --- 2. pgvector -------------------------------------------------------------
next_codename() {
    case $1 in
        bullseye) echo bookworm ;;
        bookworm) echo trixie ;;
        trixie) echo forky ;;
        *) return 1 ;;
    esac
}

# Writes (to stdout) a deb822 stanza "deb-src <uri> <next> main" derived from
# the machine's first enabled apt entry whose suite is exactly <codename>, with
# its Signed-By copied verbatim (a keyring path or an inline key block).
# Reads deb822 *.sources files and one-line *.list files alike.
derive_src_stanza() {
    local codename=$1 next=$2 SL="" SP="" f
    # Where this machine's apt reads its sources (normally /etc/apt/...).
    eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
    for f in "$SP"*.sources; do
        [[ -r $f ]] || continue
        awk -v code="$codename" -v next_="$next" '
            function reset() { delete val; last = "" }
            function flush(   sig) {
                if (found || !("uris" in val) || !("suites" in val)) { reset(); return }
                if (tolower(val["enabled"]) ~ /^[ \t]*no/) { reset(); return }
                if ((" " val["types"] " ") !~ /[ \t\n]deb(-src)?[ \t\n]/) { reset(); return }
                if ((" " val["suites"] " ") !~ ("[ \t\n]" code "[ \t\n]")) { reset(); return }
                split(val["uris"], u, /[ \t\n]+/)
                uri = (u[1] != "") ? u[1] : u[2]
                print "Types: deb-src"
                print "URIs: " uri
                print "Suites: " next_
                print "Components: main"
                if ("signed-by" in val) print "Signed-By:" val["signed-by"]
                found = 1; reset()
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { if (last != "") val[last] = val[last] "\n" $0; next }
            {
                i = index($0, ":"); if (!i) next
                last = tolower(substr($0, 1, i - 1))
                val[last] = substr($0, i + 1)
            }
            END { flush(); exit !found }
        ' "$f" && return 0
    done
    for f in "$SL" "$SP"*.list; do
        [[ -r $f ]] || continue
        awk -v code="$codename" -v next_="$next" '
            $1 != "deb" && $1 != "deb-src" { next }
            {
                line = $0; sub(/^[ \t]*deb(-src)?[ \t]+/, "", line); sig = ""
                if (line ~ /^\[/) {   # [ option=value ... ]
                    opts = substr(line, 2, index(line, "]") - 2)
                    line = substr(line, index(line, "]") + 1)
                    n = split(opts, o, /[ \t]+/)
                    for (k = 1; k <= n; k++)
                        if (tolower(o[k]) ~ /^signed-by=/) sig = substr(o[k], 11)
                }
                split(line, w, /[ \t]+/); if (w[1] == "") { w[1] = w[2]; w[2] = w[3] }
                if (w[2] != code) next
                print "Types: deb-src"; print "URIs: " w[1]
                print "Suites: " next_; print "Components: main"
                if (sig != "") print "Signed-By: " sig
                found = 1; exit
            }
            END { exit !found }
        ' "$f" && return 0
    done
    return 1
}

build_pgvector() {
    local codename next apt_dir build_dir src
    # shellcheck disable=SC1091 # system file
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    next=$(next_codename "$codename") ||
        die "don't know the Debian release after '$codename' to fetch pgvector's source from"

    # A private apt configuration: its own sources, lists and cache, so that
    # the system's apt configuration and package lists stay untouched. Other
    # apt settings (apt.conf.d: proxies, validity checks) still apply.
    apt_dir="$LOCAL_DIR/apt"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    : >"$apt_dir/sources.list"
    derive_src_stanza "$codename" "$next" >"$apt_dir/sources.list.d/pgvector-src.sources" ||
        die "no apt entry for suite '$codename' found in this machine's apt sources"
    local apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
    )
    log "fetching pgvector source from Debian $next (private apt config in .local/apt)"
    # The signature of the $next Release file is checked against the keyring
    # named by the machine's own entry (debian-archive-keyring on Debian 12
    # carries the trixie keys); the .dsc/.orig files are then verified by
    # their hashes from that signed index.
    apt-get "${apt_opts[@]}" update -q
    build_dir="$LOCAL_DIR/build/pgvector"
    rm -rf "$build_dir"
    mkdir -p "$build_dir"
    # Let apt's unprivileged download user write here (avoids apt running the
    # download unsandboxed as root, with a warning).
    if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$build_dir"; fi
    (cd "$build_dir" && apt-get "${apt_opts[@]}" source -q pgvector)
    src=$(find "$build_dir" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' -print -quit)
    [[ -n $src ]] || die "apt-get source pgvector produced no source tree"

    log "building $(basename "$src") for PostgreSQL $PG_MAJOR"
    # OPTFLAGS="": pgvector defaults to -march=native; Debian's own package
    # clears it too, for a binary that runs on any amd64/arm64 CPU.
    make -C "$src" -j2 PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >"$build_dir/build.log" 2>&1 ||
        { tail -n 30 "$build_dir/build.log" >&2; die "pgvector build failed (log: $build_dir/build.log)"; }
    as_root make -C "$src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install >>"$build_dir/build.log" 2>&1 ||
        { tail -n 30 "$build_dir/build.log" >&2; die "pgvector install failed (log: $build_dir/build.log)"; }
}

ensure_pgvector() {
    local control
    control="$("$PG_CONFIG" --sharedir)/extension/vector.control"
    [[ -f $control ]] && return 0
    build_pgvector
    [[ -f $control ]] || die "pgvector installed, but $control is still missing"
    log "pgvector installed ($control)"
}

# --- 3. roles and databases --------------------------------------------------
PSQL_VIA=

# psql as the superuser: peer auth over the unix socket as the postgres OS
# user; falls back to TCP as "postgres" (works where the server trusts
# localhost or PGPASSWORD is set).
psql_su() {
    local db=$1; shift
    local args=(-X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$db" "$@")
    if [[ $PSQL_VIA == socket ]]; then
        # cd /: the postgres user may not be allowed into the caller's cwd.
        (cd / && as_root runuser -u postgres -- psql "${args[@]}")
    else
        psql -h "$PG_HOST" -U postgres "${args[@]}"
    fi
}

pick_superuser_access() {
    PSQL_VIA=socket
    psql_su postgres -At -c 'select 1' >/dev/null 2>&1 && return 0
    PSQL_VIA=tcp
    psql_su postgres -At -c 'select 1' >/dev/null 2>&1 && return 0
    die "cannot connect to PostgreSQL as superuser (neither runuser -u postgres nor -h $PG_HOST -U postgres)"
}

# psql -q hides command tags; our DO blocks report what they changed through
# RAISE NOTICE, shown here as [setup] lines.
notices_as_log() { sed -u 's/^\(psql:[^ ]* \)\{0,1\}NOTICE: *\(.*\)$/[setup]   \2/'; }

ensure_roles_and_dbs() {
    # Roles: create if missing; repair attributes only if they differ, so a
    # second run writes nothing.
    psql_su postgres 2>&1 <<'SQL' | notices_as_log
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_owner') THEN
    CREATE ROLE revive_owner LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD 'revive_owner';
    RAISE NOTICE 'created role revive_owner';
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_owner'
                AND (NOT rolcanlogin OR NOT rolcreatedb OR rolsuper OR rolbypassrls)) THEN
    ALTER ROLE revive_owner LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS;
    RAISE NOTICE 'fixed attributes of role revive_owner';
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_app') THEN
    CREATE ROLE revive_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'revive_app';
    RAISE NOTICE 'created role revive_app';
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_app'
                AND (NOT rolcanlogin OR rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole)) THEN
    ALTER ROLE revive_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    RAISE NOTICE 'fixed attributes of role revive_app';
  END IF;

  -- Owns only the SECURITY DEFINER look-ups that run before the tenant is known (see the
  -- foundation migration). revive_owner must be a member to hand those functions over.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_lookup') THEN
    CREATE ROLE revive_lookup NOLOGIN BYPASSRLS;
    RAISE NOTICE 'created role revive_lookup';
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revive_lookup'
                AND (rolcanlogin OR NOT rolbypassrls OR rolsuper)) THEN
    ALTER ROLE revive_lookup NOLOGIN BYPASSRLS NOSUPERUSER;
    RAISE NOTICE 'fixed attributes of role revive_lookup';
  END IF;
  IF NOT pg_has_role('revive_owner', 'revive_lookup', 'MEMBER') THEN
    GRANT revive_lookup TO revive_owner;
    RAISE NOTICE 'granted revive_lookup to revive_owner';
  END IF;
END $$;
SQL

    # CREATE DATABASE cannot run inside a DO block: check first.
    local db missing
    for db in revive revive_test revive_sqlx; do
        missing=$(psql_su postgres -At -c "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db')")
        if [[ -n $missing ]]; then
            log "creating database $db"
            psql_su postgres -c "CREATE DATABASE $db OWNER revive_owner"
        fi
        # pgvector is not a trusted extension: the superuser creates it, after
        # which migrations running as revive_owner find it present.
        psql_su "$db" 2>&1 <<'SQL' | notices_as_log
DO $$
BEGIN
  IF (SELECT datdba FROM pg_database WHERE datname = current_database()) <> 'revive_owner'::regrole THEN
    EXECUTE format('ALTER DATABASE %I OWNER TO revive_owner', current_database());
    RAISE NOTICE 'database % now owned by revive_owner', current_database();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    CREATE EXTENSION vector;
    RAISE NOTICE 'created extension vector in %', current_database();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
                 WHERE d.datname = current_database()
                   AND a.grantee = 'revive_app'::regrole AND a.privilege_type = 'CONNECT') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO revive_app', current_database());
    RAISE NOTICE 'granted CONNECT on % to revive_app', current_database();
  END IF;
END $$;
SQL
    done
}

can_login() { # role db
    PGCONNECT_TIMEOUT=5 psql -X -q -At "postgres://$1:$1@$PG_HOST:$PG_PORT/$2" -c 'select 1' >/dev/null 2>&1
}

# The app connects with a password over TCP. Debian's pg_hba uses
# scram-sha-256 for 127.0.0.1 (or the server trusts localhost); if a login
# still fails, the stored password may be stale: reset it once and retry.
check_password_logins() {
    local role
    for role in revive_owner revive_app; do
        can_login "$role" revive && continue
        log "password login for $role failed: resetting its password"
        psql_su postgres -c "ALTER ROLE $role PASSWORD '$role'"
        can_login "$role" revive ||
            die "$role cannot log in over TCP to $PG_HOST:$PG_PORT with its password: check pg_hba.conf"
    done
}

setup_postgres() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        # External database: its owner provides roles, DBs and pgvector.
        if command -v pg_isready >/dev/null 2>&1; then
            pg_isready -q -d "$DATABASE_URL" -t 10 || die "DATABASE_URL does not answer"
            log "postgres ok (DATABASE_URL)"
        else
            log "postgres: DATABASE_URL set, pg_isready not installed, not checked"
        fi
        return 0
    fi
    install_postgres
    start_postgres
    ensure_pgvector
    pick_superuser_access
    ensure_roles_and_dbs
    check_password_logins
    local version
    version=$(psql_su revive -At -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    log "postgres ok (pgvector $version)"
}

# --- 4. Redis ----------------------------------------------------------------
redis_ping() {
    if command -v redis-cli >/dev/null 2>&1; then
        [[ $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
    else
        # No client installed yet: speak RESP through bash's /dev/tcp.
        (
            exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
            printf 'PING\r\n' >&3
            IFS= read -r -t 2 reply <&3 && [[ $reply == $'+PONG\r' ]]
        ) 2>/dev/null
    fi
}

setup_redis() {
    # The server binary is needed even with a Redis already running: the fault tests start and
    # kill Redis servers of their own.
    ensure_pkgs redis-server redis-tools
    if [[ -n ${REDIS_URL:-} ]]; then
        if command -v redis-cli >/dev/null 2>&1; then
            [[ $(redis-cli -u "$REDIS_URL" ping 2>/dev/null) == PONG ]] || die "REDIS_URL does not answer PING"
            log "redis ok (REDIS_URL)"
        else
            log "redis: REDIS_URL set, redis-cli not installed, not checked"
        fi
        return 0
    fi
    # (The package's own init script may have started one just now.)
    if ! redis_ping; then
        local dir="$LOCAL_DIR/redis"
        mkdir -p "$dir"
        log "starting redis-server on $REDIS_HOST:$REDIS_PORT (data in .local/redis)"
        redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
            --dir "$dir" --logfile "$dir/redis.log" --save "" --appendonly yes
        wait_for "Redis on $REDIS_HOST:$REDIS_PORT" redis_ping ||
            die "Redis did not answer within ${WAIT_SECS}s (log: $dir/redis.log)"
    fi
    log "redis ok"
}

main() {
    # curl: run.sh polls /readyz; psql: scripts/sqlx-prepare.sh migrates its scratch database;
    # python3 with PyYAML: scripts/check-deploy.sh reads the compose file.
    ensure_pkgs curl ca-certificates postgresql-client python3 python3-yaml
    setup_postgres
    setup_redis
}

main "$@"
