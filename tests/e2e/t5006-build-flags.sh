#!/bin/sh
test_description='cbuild build: each docker build flag with its observable effect'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
test_atexit registry_stop

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	mkdir -p ctx &&
	echo data >ctx/data.txt &&
	printf "FROM busybox:latest AS one\nRUN echo one > /one\n\nFROM busybox:latest\nCOPY --from=one /one /one\nCOPY data.txt /data.txt\nRUN date +%%s%%N > /stamp\n" >ctx/Dockerfile
'

test_expect_success ROOT,RUNTIME,BUSYBOX '-f - and CONTEXT - (a Dockerfile or a tar on stdin)' '
	printf "FROM busybox:latest\nRUN echo stdin > /from\n" | cbuild build --progress=quiet -f - -o type=local,dest=l1 ctx >/dev/null &&
	test "$(cat l1/from)" = stdin &&
	printf "FROM busybox:latest\nRUN echo plain > /from\n" | cbuild build --progress=quiet -o type=local,dest=l2 - >/dev/null &&
	test "$(cat l2/from)" = plain &&
	tar -C ctx -cf - . | cbuild build --progress=quiet -o type=local,dest=l3 - >/dev/null &&
	test "$(cat l3/data.txt)" = data
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--no-cache reruns everything; --no-cache-filter only that stage' '
	cbuild build --progress=plain ctx >/dev/null 2>a1 &&
	cbuild build --progress=plain --no-cache ctx >/dev/null 2>a2 &&
	! grep -q CACHED a2 &&
	cbuild build --progress=plain --no-cache-filter one ctx >/dev/null 2>a3 &&
	grep -A1 "\[one 2/2\]" a3 | test_grep -v CACHED &&
	grep -A1 "COPY data.txt" a3 | test_grep CACHED
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--pull=never names the missing image' '
	printf "FROM example.invalid/nothing:1\n" >Dockerfile.missing &&
	test_exit_code 1 cbuild build --pull=never -f Dockerfile.missing ctx 2>err &&
	test_grep "not found locally (--pull=never)" err &&
	test_exit_code 2 cbuild build --pull=sometimes ctx 2>err2 &&
	test_grep "invalid --pull value" err2
'

test_expect_success ROOT,RUNTIME,BUSYBOX,SKOPEO '--output type=docker and type=oci (tar), --iidfile, --metadata-file, --label' '
	cbuild build --progress=quiet -t flags:1 --label team=infra --iidfile iid --metadata-file meta.json \
		-o type=docker,dest=img.docker.tar -o type=oci,dest=img.oci.tar ctx >id &&
	test_cmp id iid 2>/dev/null || test "$(cat iid)" = "$(cat id)" &&
	test "$(jq -r ".\"containerimage.config.digest\"" meta.json)" = "$(cat iid)" &&
	jq -e ".\"containerimage.digest\" | startswith(\"sha256:\")" meta.json >/dev/null &&
	skopeo inspect docker-archive:img.docker.tar >d.json &&
	test "$(jq -r .Labels.team d.json)" = infra &&
	skopeo inspect oci-archive:img.oci.tar:1 >o.json &&
	test "$(jq -r .Labels.team o.json)" = infra
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI '--secret from a file and from env: readable in RUN, absent everywhere after' '
	echo "s3cr3t-file" >secret.txt &&
	cat >ctx/Dockerfile.secret <<-\EOF &&
	FROM busybox:latest
	RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -c1-16 > /seen-file
	RUN --mount=type=secret,id=env_tok,env=TOKEN sh -c "echo \$TOKEN | sha256sum | cut -c1-16 > /seen-env"
	EOF
	MY_TOKEN=s3cr3t-env cbuild build --progress=quiet --secret id=tok,src=secret.txt --secret id=env_tok,env=MY_TOKEN \
		-f ctx/Dockerfile.secret -o type=oci,dest=so ctx >/dev/null &&
	rm -rf sb && umoci unpack --image so:latest sb >/dev/null &&
	test "$(cat sb/rootfs/seen-file)" = "$(sha256sum secret.txt | cut -c1-16)" &&
	test "$(cat sb/rootfs/seen-env)" = "$(echo s3cr3t-env | sha256sum | cut -c1-16)" &&
	test ! -e sb/rootfs/run/secrets/tok &&
	for b in so/blobs/sha256/*; do ! zcat -f "$b" 2>/dev/null | grep -aq "s3cr3t" || exit 1; done &&
	! grep -rq "s3cr3t" "$CBUILD_ROOT/cache/records"
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--network none: RUN sees only loopback' '
	printf "FROM busybox:latest\nRUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d \" \" > /ifs\n" >ctx/Dockerfile.net &&
	cbuild build --progress=quiet --network none -f ctx/Dockerfile.net -o type=local,dest=nl ctx >/dev/null &&
	test "$(cat nl/ifs)" = lo
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--add-host, --shm-size and --ulimit reach RUN steps and their cache keys' '
	printf "FROM busybox:latest\nRUN grep myhost /etc/hosts > /hosts-line; df -k /dev/shm | tail -1 | awk \"{print \\\$2}\" > /shm-kb; ulimit -n > /nofile\n" >ctx/Dockerfile.run &&
	cbuild build --progress=quiet --add-host myhost:10.1.2.3 --shm-size 128m --ulimit nofile=512:1024 \
		-f ctx/Dockerfile.run -o type=local,dest=rl ctx >/dev/null &&
	printf "10.1.2.3\tmyhost\n" >want-hosts &&
	test_cmp want-hosts rl/hosts-line &&
	test "$(cat rl/shm-kb)" = 131072 &&
	test "$(cat rl/nofile)" = 512 &&
	cbuild build --progress=plain --ulimit nofile=256 -f ctx/Dockerfile.run -o type=local,dest=rl2 ctx >/dev/null 2>rlog &&
	test "$(cat rl2/nofile)" = 256 &&
	test_exit_code 2 cbuild build --add-host nocolon ctx 2>e1 &&
	test_grep "want NAME:IP" e1 &&
	test_exit_code 2 cbuild build --ulimit bogus=1 ctx 2>e2 &&
	test_grep "unknown limit .bogus." e2 &&
	test_exit_code 2 cbuild build --shm-size lots ctx 2>e3 &&
	test_grep "invalid size" e3
'

test_expect_success ROOT,RUNTIME,BUSYBOX '-q prints only the ID; --progress=quiet likewise' '
	cbuild build -q ctx >q.out 2>q.err &&
	test "$(wc -l <q.out)" = 1 &&
	test_grep "^sha256:" q.out &&
	test ! -s q.err
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--cache-from/--cache-to: images accepted with a note, other types refused' '
	cbuild build --progress=quiet --cache-from app:cache --cache-to type=inline ctx >/dev/null 2>c.err &&
	test_grep "note: --cache-from app:cache" c.err &&
	test_exit_code 2 cbuild build --cache-from type=gha ctx 2>c2.err &&
	test_grep "cache type .gha. is not supported" c2.err
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--platform: the host works, a bad value is a usage error' '
	cbuild build --progress=quiet --platform linux/amd64 ctx >/dev/null &&
	test_exit_code 2 cbuild build --platform nonsense ctx 2>p.err &&
	test_grep -- "--platform" p.err &&
	test_exit_code 1 cbuild build --platform linux/arm64 ctx 2>p2.err &&
	test_grep "RUN for platform linux/arm64/v8 cannot execute on this host" p2.err
'

if test_have_prereq ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD; then
	registry_start tls >/dev/null 2>&1
	mkdir -p "$TRASH/certs.d/$REG_HOST" && cp "$REG_CA" "$TRASH/certs.d/$REG_HOST/ca.crt"
	export CBUILD_CERTS_D="$TRASH/certs.d"
fi

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD 'rawjson tells an auth failure from a failed step' '
	printf "FROM %s/private/base:1\n" "$REG_HOST" >Dockerfile.auth &&
	test_exit_code 1 cbuild build --progress=rawjson -f Dockerfile.auth ctx 2>events &&
	test "$(tail -n 2 events | head -n 1 | jq -r .error.category)" = auth &&
	printf "FROM busybox:latest\nRUN exit 4\n" >Dockerfile.step &&
	test_exit_code 1 cbuild build --progress=rawjson -f Dockerfile.step ctx 2>events2 &&
	test "$(tail -n 2 events2 | head -n 1 | jq -r .error.category)" = step
'

test_expect_success 'docker flags cbuild lacks are named as not supported; --rm is accepted' '
	test_exit_code 2 cbuild build --squash ctx 2>e1 &&
	test_grep "^error: --squash is not supported" e1 &&
	test_exit_code 2 cbuild build --memory=1g ctx 2>e2 &&
	test_grep "^error: --memory is not supported" e2 &&
	test_exit_code 2 cbuild build --rm 2>e3 &&
	test_grep "exactly one CONTEXT" e3 &&
	test_exit_code 2 cbuild build --provenance=mode=max ctx 2>e4 &&
	test_grep "^error: --provenance=mode=max: cbuild writes no attestations; only --provenance=false is accepted$" e4 &&
	test_exit_code 2 cbuild build --sbom=true ctx 2>e5 &&
	test_grep "only --sbom=false is accepted" e5
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'CI scripts that turn attestations off build: --provenance=false --sbom=false' '
	mkdir -p att && printf "FROM busybox:latest\n" >att/Dockerfile &&
	cbuild build -q --provenance=false --sbom=false -t att:1 att >/dev/null &&
	cbuild inspect att:1 >/dev/null
'

test_expect_success ROOT,RUNTIME,BUSYBOX,PYTHON3 '--ssh: RUN --mount=type=ssh sees the agent socket' '
	python3 -c "import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)" "$TRASH/agent.sock" &
	for i in 1 2 3 4 5 6 7 8 9 10; do test -S agent.sock && break; sleep 0.2; done &&
	printf "FROM busybox:latest\nRUN --mount=type=ssh test -S \"\$SSH_AUTH_SOCK\" && echo ok > /ssh\n" >ctx/Dockerfile.ssh &&
	cbuild build --progress=quiet --ssh default="$TRASH/agent.sock" -f ctx/Dockerfile.ssh -o type=local,dest=so2 ctx >/dev/null &&
	test "$(cat so2/ssh)" = ok;
	rc=$?; kill $! 2>/dev/null; exit $rc
'

test_done
