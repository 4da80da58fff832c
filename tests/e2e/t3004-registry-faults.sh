#!/bin/sh
test_description='registry client against faultreg: retries, resume, digest checks,
token expiry, redirects without Authorization, ECR-style errors, Ctrl-C'
. "$(dirname "$0")/lib.sh"

# faultreg_start NAME [ARGS...]: sets FR_HOST, FR_LOG, FR_RULES
faultreg_start() {
    _d=$TRASH/fr-$1
    shift
    mkdir -p "$_d"
    FR_LOG=$_d/log FR_RULES=$_d/rules.json
    echo '[]' >"$FR_RULES"
    : >"$FR_LOG"
    python3 "$HELPERS/faultreg.py" --port-file "$_d/port" --log "$FR_LOG" --rules "$FR_RULES" "$@" \
        >"$_d/out" 2>&1 &
    echo $! >"$_d/pid"
    test_atexit "kill $! 2>/dev/null"
    _i=0
    while [ ! -s "$_d/port" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
    FR_HOST=127.0.0.1:$(cat "$_d/port")
    export FR_HOST FR_LOG FR_RULES
}

rules() { printf '%s\n' "$1" >"$FR_RULES"; }
# count log lines matching all the given jq-free substrings
logcount() { _f=$FR_LOG; for _p; do _f=$(grep -F -- "$_p" "$_f" | tr '\n' '\001'); done; printf '%s' "$_f" | tr '\001' '\n' | grep -c . || true; }

export CBUILD_RETRY_BASE_MS=20
TLS=--tls-verify=false
LAYER=sha256:0d872303819372bfef522992d8c2145c17173fac11b121e98c06ef596abec724

# no_blob_files DIGEST STORE: the blob and any temp file are absent
no_blob_files() {
    ! test -e "$2/oci/blobs/sha256/${1#sha256:}" &&
    test -z "$(ls -A "$2/oci/blobs/sha256" 2>/dev/null | grep -v -E '^[0-9a-f]{64}$')"
}

if test_have_prereq PYTHON3,BUSYBOX,SKOPEO; then
    busybox_image bb
    faultreg_start plain --chunk-min 262144
    P=$FR_HOST PLOG=$FR_LOG PRULES=$FR_RULES
    skopeo copy -q --dest-tls-verify=false oci:bb:latest docker://$P/bb/busybox:src &&
        test_set_prereq FR
    faultreg_start token --auth token --token-ttl 1 --token-expires-in 300
    T=$FR_HOST TLOG=$FR_LOG TRULES=$FR_RULES
    skopeo copy -q --dest-tls-verify=false --dest-creds cbuild:cbuild-pass oci:bb:latest \
        docker://$T/bb/busybox:src && test_set_prereq FRTOKEN
    faultreg_start basic --auth basic
    B=$FR_HOST BLOG=$FR_LOG BRULES=$FR_RULES
    skopeo copy -q --dest-tls-verify=false --dest-creds cbuild:cbuild-pass oci:bb:latest \
        docker://$B/bb/busybox:src && test_set_prereq FRBASIC
    export P PLOG PRULES T TLOG TRULES B BLOG BRULES
fi
n() { grep -c -F -- "$1" "$2" || true; }

test_expect_success FR 'the layer digest is the one the tests expect' '
	cbuild pull -q $TLS $P/bb/busybox:src >out &&
	test -f "$CBUILD_ROOT/oci/blobs/sha256/${LAYER#sha256:}"
'

test_expect_success FR '500 then 200 is retried' '
	echo "[{\"id\":\"m500\",\"method\":\"GET\",\"path\":\"/manifests/src\",\"action\":\"status\",\"status\":500}]" >$PRULES &&
	CBUILD_ROOT=$TRASH/s1 cbuild pull -q $TLS $P/bb/busybox:src >out &&
	test_grep "^Digest: sha256:" out &&
	grep "manifests/src" $PLOG | tail -2 >two &&
	test_grep "\"status\": 500" two &&
	test_grep "\"status\": 200" two
'

test_expect_success FR '429 with Retry-After is retried' '
	echo "[{\"id\":\"m429\",\"method\":\"GET\",\"path\":\"/manifests/src\",\"action\":\"status\",\"status\":429,\"code\":\"TOOMANYREQUESTS\",\"headers\":{\"Retry-After\":\"0\"},\"times\":2}]" >$PRULES &&
	CBUILD_ROOT=$TRASH/s2 cbuild pull -q $TLS $P/bb/busybox:src >out &&
	test "$(grep manifests/src $PLOG | grep -c "\"status\": 429")" = 2
'

test_expect_success FR 'a 503 storm gives up after the bounded retries, quoting the registry' '
	echo "[{\"id\":\"storm\",\"method\":\"GET\",\"path\":\"/manifests/src\",\"action\":\"status\",\"status\":503,\"code\":\"UNAVAILABLE\",\"message\":\"try later\",\"times\":-1}]" >$PRULES &&
	before=$(n "manifests/src" $PLOG) &&
	CBUILD_ROOT=$TRASH/s3 test_exit_code 1 cbuild pull -q $TLS $P/bb/busybox:src 2>err &&
	test_grep "HTTP 503 server error: UNAVAILABLE: try later" err &&
	test "$(($(n "manifests/src" $PLOG) - before))" = 5
'

test_expect_success FR 'a reset mid-blob is resumed with Range' '
	echo "[{\"id\":\"reset\",\"method\":\"GET\",\"path\":\"/blobs/$LAYER\",\"action\":\"reset\",\"bytes\":300000}]" >$PRULES &&
	CBUILD_ROOT=$TRASH/s4 cbuild pull -q $TLS $P/bb/busybox:src >out &&
	test -f "$TRASH/s4/oci/blobs/sha256/${LAYER#sha256:}" &&
	test_grep "\"range\": \"bytes=300000-\"" $PLOG &&
	grep "bytes=300000-" $PLOG | test_grep "\"status\": 206"
'

test_expect_success FR 'a blob whose bytes do not match its digest is rejected and not stored' '
	echo "[{\"id\":\"bad\",\"method\":\"GET\",\"path\":\"/blobs/$LAYER\",\"action\":\"corrupt\",\"times\":-1}]" >$PRULES &&
	CBUILD_ROOT=$TRASH/s5 test_exit_code 1 cbuild pull -q $TLS $P/bb/busybox:src 2>err &&
	test_grep "get blob $LAYER from .$P/bb/busybox.: content has digest sha256:.*rejected" err &&
	no_blob_files $LAYER $TRASH/s5 &&
	test_exit_code 1 cbuild --root $TRASH/s5 push -q $TLS $P/bb/busybox:src $P/x/y:1 2>err2
'

test_expect_success FR 'a registry cannot point an upload or a download at a local file' '
	echo "[{\"id\":\"fu\",\"method\":\"POST\",\"path\":\"/v2/evil/up/blobs/uploads\",\"action\":\"status\",\"status\":202,\"times\":-1,\"headers\":{\"Location\":\"file://$TRASH/written-by-push\"}}]" >$PRULES &&
	test_must_fail cbuild push -q $TLS $P/bb/busybox:src $P/evil/up:1 2>err &&
	test ! -e "$TRASH/written-by-push" &&
	test_grep "file" err &&
	echo secret >"$TRASH/local-secret" &&
	echo "[{\"id\":\"fd\",\"method\":\"GET\",\"path\":\"/v2/bb/busybox/manifests/src\",\"action\":\"status\",\"status\":307,\"times\":-1,\"headers\":{\"Location\":\"file://$TRASH/local-secret\"}}]" >$PRULES &&
	test_must_fail cbuild --root $TRASH/s-file pull -q $TLS $P/bb/busybox:src 2>err2 &&
	test_grep "file" err2 &&
	echo "[]" >$PRULES
'

test_expect_success FR 'chunked upload honours OCI-Chunk-Min-Length' '
	echo "[]" >$PRULES &&
	cbuild push -q $TLS --chunk-size 65536 --mount-from $P/none/x $P/bb/busybox:src $P/chunk/img:1 >out &&
	test_grep "2 uploaded" out &&
	test "$(grep -c "\"PATCH /v2/chunk/img/blobs/uploads\|\"method\": \"PATCH\", \"path\": \"/v2/chunk/img" $PLOG)" = 6
'

test_expect_success FR 'Ctrl-C aborts a download cleanly' '
	echo "[{\"id\":\"slow\",\"method\":\"GET\",\"path\":\"/blobs/$LAYER\",\"action\":\"throttle\",\"seconds\":0.3,\"times\":-1}]" >$PRULES &&
	CBUILD_ROOT=$TRASH/s6 "$CBUILD" pull -q $TLS $P/bb/busybox:src >out 2>err &
	pid=$! &&
	sleep 1.5 && kill -INT $pid &&
	{ wait $pid; rc=$?; } ; test $rc = 130 &&
	test_grep "interrupted" err &&
	no_blob_files $LAYER $TRASH/s6
'

test_expect_success FR 'NAME_UNKNOWN says the repository must be created first' '
	echo "[{\"id\":\"nu\",\"path\":\"/v2/ecr/missing/\",\"action\":\"status\",\"status\":404,\"code\":\"NAME_UNKNOWN\",\"message\":\"The repository with name ecr/missing does not exist in the registry with id 123456789012\",\"times\":-1}]" >$PRULES &&
	test_exit_code 1 cbuild push -q $TLS $P/bb/busybox:src $P/ecr/missing:1 2>err &&
	test_grep "NAME_UNKNOWN: The repository with name" err &&
	test_grep "create it first" err
'

test_expect_success FR 'TAG_INVALID on an immutable tag is a clear error' '
	echo "[{\"id\":\"ti\",\"method\":\"PUT\",\"path\":\"/v2/ecr/immutable/manifests/1\",\"action\":\"status\",\"status\":400,\"code\":\"TAG_INVALID\",\"message\":\"The image tag 1 already exists in the ecr/immutable repository and cannot be overwritten because the repository is immutable.\",\"times\":-1}]" >$PRULES &&
	test_exit_code 1 cbuild push -q $TLS $P/bb/busybox:src $P/ecr/immutable:1 2>err &&
	test_grep "TAG_INVALID" err &&
	test_grep "immutable" err
'

test_expect_success FRTOKEN 'a blob redirect to another host gets no Authorization' '
	mkdir -p "$DOCKER_CONFIG" &&
	echo "{\"auths\":{\"$T\":{\"auth\":\"$(printf cbuild:cbuild-pass | base64)\"}}}" >"$DOCKER_CONFIG/config.json" &&
	echo "[{\"id\":\"redir\",\"method\":\"GET\",\"path\":\"/blobs/$LAYER\",\"action\":\"redirect\"}]" >$TRULES &&
	CBUILD_ROOT=$TRASH/s7 cbuild pull -q $TLS $T/bb/busybox:src >out &&
	grep "/blobs/$LAYER" $TLOG | tail -1 | test_grep "\"auth\": \"Bearer\"" &&
	grep "/blobdata/$LAYER" $TLOG >redir &&
	test_grep "\"auth\": null" redir &&
	test_grep "\"host\": \"localhost:" redir &&
	test -f "$TRASH/s7/oci/blobs/sha256/${LAYER#sha256:}"
'

test_expect_success FRTOKEN 'a token that expires mid-push is refreshed' '
	echo "[{\"id\":\"slowpost\",\"method\":\"POST\",\"path\":\"/v2/exp/img/blobs/uploads\",\"action\":\"delay\",\"seconds\":1.5,\"times\":1}]" >$TRULES &&
	tokens=$(n "\"/token" $TLOG) &&
	cbuild --root $TRASH/s7 push -q $TLS --mount-from $T/none/x $T/bb/busybox:src $T/exp/img:1 >out &&
	test_grep "tags: 1 pushed" out &&
	grep "/v2/exp/img" $TLOG | test_grep "\"status\": 401" &&
	test "$(n "\"/token" $TLOG)" -ge $((tokens + 2))
'

test_expect_success FRBASIC 'ECR-style 403 "token expired" refreshes once through the helper' '
	mkdir -p bin cfg &&
	printf "#!/bin/sh\necho \"\$1\" >>\"$TRASH/ecr.log\"\nread -r s\necho \"{\\\"ServerURL\\\":\\\"\$s\\\",\\\"Username\\\":\\\"cbuild\\\",\\\"Secret\\\":\\\"cbuild-pass\\\"}\"\n" >bin/docker-credential-ecrtest &&
	chmod +x bin/docker-credential-ecrtest &&
	echo "{\"credHelpers\":{\"$B\":\"ecrtest\"}}" >cfg/config.json &&
	echo "[{\"id\":\"exp\",\"method\":\"GET\",\"path\":\"/manifests/src\",\"action\":\"status\",\"status\":403,\"code\":\"DENIED\",\"message\":\"Your authorization token has expired. Reauthenticate and try again.\"}]" >$BRULES &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg CBUILD_ROOT=$TRASH/s8 cbuild pull -q $TLS $B/bb/busybox:src >out &&
	test "$(grep -c "^get$" ecr.log)" = 2 &&
	grep "manifests/src" $BLOG | test_grep "\"status\": 403"
'

test_expect_success FRBASIC 'Basic auth with wrong stored credentials is a clear error' '
	mkdir -p cfg3 &&
	echo "{\"auths\":{\"$B\":{\"auth\":\"$(printf cbuild:wrong | base64)\"}}}" >cfg3/config.json &&
	echo "[]" >$BRULES &&
	DOCKER_CONFIG=$TRASH/cfg3 CBUILD_ROOT=$TRASH/s9 test_exit_code 1 cbuild pull -q $TLS $B/bb/busybox:src 2>err &&
	test_grep "401 unauthorized: UNAUTHORIZED: authentication required" err
'

test_done
