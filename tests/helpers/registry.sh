# registry.sh - start and stop a real docker-registry (CNCF distribution) on
# 127.0.0.1 with a free port, for tests.  Source it, then:
#
#   registry_start plain|tls|token [NAME]
#       sets REG_HOST (127.0.0.1:PORT), REG_URL, REG_DIR, REG_LOG, REG_PID,
#       and for tls: REG_CA (the CA file), REG_CERTS_D (a certs.d-style dir
#       holding ca.crt), REG_USER/REG_PASS (htpasswd Basic);
#       for token: REG_USER/REG_PASS, TOKEN_URL, TOKEN_LOG, TOKEN_PID.
#       TOKEN_TTL (seconds, default 300) sets the token lifetime.
#   registry_stop [NAME]   kills only the processes this helper started, by PID.
#
# State lives in $REG_BASE/NAME (default $TRASH/registry/MODE).  Multiple
# registries can run at once under different NAMEs.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL: until something answers (any HTTP status), at most ~10 s.
wait_http() {
    _i=0
    while [ $_i -lt 100 ]; do
        _code=$(curl -s -k -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)
        [ -n "$_code" ] && [ "$_code" != 000 ] && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    echo "registry.sh: nothing answers at $1" >&2
    return 1
}

# _reg_kill PIDFILE EXPECTED-CMD-SUBSTRING
_reg_kill() {
    [ -f "$1" ] || return 0
    _pid=$(cat "$1")
    if [ -n "$_pid" ] && tr '\0' ' ' <"/proc/$_pid/cmdline" 2>/dev/null | grep -q "$2"; then
        kill "$_pid" 2>/dev/null
        _i=0
        while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 30 ]; do
            # a zombie still answers kill -0; check its state
            grep -q '^State:.*Z' "/proc/$_pid/status" 2>/dev/null && break
            sleep 0.1
            _i=$((_i + 1))
        done
        kill -9 "$_pid" 2>/dev/null
    fi
    rm -f "$1"
}

_reg_tls() {
    mkdir -p "$1/tls" "$1/certs.d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cbuild-test-ca" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$1/tls/server.key" -out "$1/tls/server.crt" >/dev/null 2>&1 || return 1
    cp "$1/tls/server.crt" "$1/certs.d/ca.crt"
}

registry_start() {
    _mode=$1
    _name=${2:-$_mode}
    REG_DIR=${REG_BASE:-$TRASH/registry}/$_name
    rm -rf "$REG_DIR"
    mkdir -p "$REG_DIR/storage"
    _port=$(free_port) || return 1
    REG_HOST=127.0.0.1:$_port
    REG_LOG=$REG_DIR/registry.log
    REG_USER=cbuild REG_PASS=cbuild-pass
    REG_CA= REG_CERTS_D= TOKEN_URL= TOKEN_LOG= TOKEN_PID=
    _http="  addr: $REG_HOST
  secret: cbuild-test-secret"
    _auth=""
    case "$_mode" in
    plain)
        REG_URL=http://$REG_HOST
        ;;
    tls)
        _reg_tls "$REG_DIR" || return 1
        REG_CA=$REG_DIR/certs.d/ca.crt
        REG_CERTS_D=$REG_DIR/certs.d
        REG_URL=https://$REG_HOST
        htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd" 2>/dev/null || return 1
        _http="$_http
  tls:
    certificate: $REG_DIR/tls/server.crt
    key: $REG_DIR/tls/server.key"
        _auth="auth:
  htpasswd:
    realm: cbuild-test-registry
    path: $REG_DIR/htpasswd"
        ;;
    token)
        REG_URL=http://$REG_HOST
        _tport=$(free_port) || return 1
        TOKEN_URL=http://127.0.0.1:$_tport/token
        TOKEN_LOG=$REG_DIR/token.log
        mkdir -p "$REG_DIR/token"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cbuild-token-issuer" \
            -keyout "$REG_DIR/token/key.pem" -out "$REG_DIR/token/cert.pem" >/dev/null 2>&1 ||
            return 1
        echo "$REG_USER:$REG_PASS" >"$REG_DIR/token/users"
        : >"$TOKEN_LOG"
        python3 "$HELPERS/token-server.py" --port "$_tport" --key "$REG_DIR/token/key.pem" \
            --cert "$REG_DIR/token/cert.pem" --users "$REG_DIR/token/users" \
            --issuer cbuild-test-issuer --log "$TOKEN_LOG" --ttl "${TOKEN_TTL:-300}" \
            >"$REG_DIR/token/server.out" 2>&1 &
        TOKEN_PID=$!
        echo "$TOKEN_PID" >"$REG_DIR/token.pid"
        wait_http "$TOKEN_URL" || return 1
        _auth="auth:
  token:
    realm: $TOKEN_URL
    service: cbuild-test-registry
    issuer: cbuild-test-issuer
    rootcertbundle: $REG_DIR/token/cert.pem"
        ;;
    *)
        echo "registry_start: unknown mode '$_mode' (plain, tls, token)" >&2
        return 2
        ;;
    esac
    cat >"$REG_DIR/config.yml" <<CFG
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
$_http
$_auth
CFG
    docker-registry serve "$REG_DIR/config.yml" >"$REG_LOG" 2>&1 &
    REG_PID=$!
    echo "$REG_PID" >"$REG_DIR/registry.pid"
    wait_http "$REG_URL/v2/" || return 1
    export REG_HOST REG_URL REG_DIR REG_LOG REG_PID REG_CA REG_CERTS_D REG_USER REG_PASS \
        TOKEN_URL TOKEN_LOG TOKEN_PID
}

registry_stop() {
    _dir=${REG_BASE:-$TRASH/registry}/${1:-}
    [ -n "${1:-}" ] || _dir=${REG_BASE:-$TRASH/registry}
    for _pf in $(find "$_dir" -maxdepth 2 -name 'registry.pid' 2>/dev/null); do
        _reg_kill "$_pf" docker-registry
    done
    for _pf in $(find "$_dir" -maxdepth 2 -name 'token.pid' 2>/dev/null); do
        _reg_kill "$_pf" token-server.py
    done
}
