#!/bin/sh
test_description='layers: deterministic writing, gzip/zstd read back by other tools, overlay
upperdir diffs, tree diffs, safe apply (cbuild debug layer)'
. "$(dirname "$0")/lib.sh"

# A small tree with the entry types a layer carries.
mktree() {
	mkdir -p "$1/etc" "$1/usr/bin" "$1/data" "$1/empty" &&
	echo "root:x:0:0::/root:/bin/sh" >"$1/etc/passwd" &&
	printf '#!/bin/sh\necho hi\n' >"$1/usr/bin/tool" && chmod 4755 "$1/usr/bin/tool" &&
	seq 1 200000 >"$1/data/big" && ln "$1/data/big" "$1/data/big-link" &&
	ln -s usr/bin "$1/bin" &&
	find "$1" -exec touch -h -d @1700000000 {} +
}

# Each test works in a directory of its own.
fresh() { rm -rf "case$1" && mkdir "case$1" && cd "case$1"; }

field() { sed -n "s/^$1: //p" "$2"; }

# An OCI layout holding one image whose only layer is the blob $2, described
# by cbuild's output $3 (digest, diff_id, size): $1 is the layout directory.
mklayout() {
	python3 - "$1" "$2" "$(field digest "$3")" "$(field diff_id "$3")" "$(field size "$3")" \
		"$(field compression "$3")" <<-'EOF'
	import hashlib, json, os, shutil, sys
	out, blob, digest, diff_id, size, comp = sys.argv[1:]
	mt = 'application/vnd.oci.image.layer.v1.tar' + {'gzip': '+gzip', 'zstd': '+zstd'}.get(comp, '')
	os.makedirs(out + '/blobs/sha256', exist_ok=True)
	def put(data):
	    d = hashlib.sha256(data).hexdigest()
	    open(out + '/blobs/sha256/' + d, 'wb').write(data)
	    return 'sha256:' + d, len(data)
	shutil.copy(blob, out + '/blobs/sha256/' + digest.split(':')[1])
	cfg = {'architecture': 'amd64', 'os': 'linux', 'config': {},
	       'rootfs': {'type': 'layers', 'diff_ids': [diff_id]}}
	cd, cs = put(json.dumps(cfg).encode())
	man = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
	       'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': cs},
	       'layers': [{'mediaType': mt, 'digest': digest, 'size': int(size)}]}
	md, ms = put(json.dumps(man).encode())
	idx = {'schemaVersion': 2, 'manifests': [{'mediaType': man['mediaType'], 'digest': md, 'size': ms,
	       'annotations': {'org.opencontainers.image.ref.name': 'latest'}}]}
	open(out + '/index.json', 'w').write(json.dumps(idx))
	open(out + '/oci-layout', 'w').write('{"imageLayoutVersion": "1.0.0"}')
	EOF
}

test_expect_success 'the same tree gives a byte-identical layer, from two paths' '
	fresh 1 &&
	mktree one && cp -a one two &&
	cbuild debug layer write one a.tgz >a.out &&
	cbuild debug layer write one b.tgz >b.out &&
	cbuild debug layer write two c.tgz >c.out &&
	cmp a.tgz b.tgz && cmp a.tgz c.tgz && test_cmp a.out c.out &&
	test_grep "^digest: sha256:$(sha256sum a.tgz | cut -d" " -f1)$" a.out &&
	test_grep "^diff_id: sha256:$(gzip -dc a.tgz | sha256sum | cut -d" " -f1)$" a.out
'

test_expect_success 'gzip and zstd layers pass gzip -t, zstd -t and tar' '
	fresh 2 &&
	mktree t &&
	cbuild debug layer write --compression gzip t l.tgz >/dev/null &&
	cbuild debug layer write --compression zstd t l.zst >/dev/null &&
	cbuild debug layer write --compression none t l.tar >/dev/null &&
	gzip -t l.tgz && zstd -q -t l.zst &&
	gzip -dc l.tgz | cmp - l.tar && zstd -q -dc l.zst | cmp - l.tar &&
	tar tvf l.tar >list &&
	test_grep "^hrw-r--r-- 0/0 .* data/big-link link to data/big$" list &&
	test_grep "^-rwsr-xr-x 0/0 .* usr/bin/tool$" list &&
	test_grep "^lrwxrwxrwx 0/0 .* bin -> usr/bin$" list
'

test_expect_success 'a bad compression name is a usage error' '
	fresh 3 &&
	mkdir t &&
	test_exit_code 2 cbuild debug layer write --compression lz4 t x 2>err &&
	test_grep "unknown compression .lz4." err &&
	! test -e x
'

test_expect_success PYTHON3,SKOPEO,UMOCI 'skopeo reads our gzip and zstd layers, umoci unpacks gzip ones' '
	fresh 4 &&
	mktree t &&
	for c in gzip zstd; do
		cbuild debug layer write --compression $c t l.$c >l.$c.out &&
		mklayout img-$c l.$c l.$c.out &&
		skopeo inspect oci:img-$c:latest >inspect.json &&
		test_grep "$(field digest l.$c.out)" inspect.json &&
		skopeo copy -q oci:img-$c:latest oci:copy-$c:latest || return 1
	done &&
	# this umoci knows no zstd layers; gzip (our multi-member stream) it does
	umoci unpack --image img-gzip:latest bundle >/dev/null &&
	cmp t/data/big bundle/rootfs/data/big &&
	test "$(stat -c %i bundle/rootfs/data/big)" = "$(stat -c %i bundle/rootfs/data/big-link)" &&
	test "$(stat -c %a bundle/rootfs/usr/bin/tool)" = 4755
'

test_expect_success 'write, apply, write again gives the same diff_id' '
	fresh 5 &&
	mktree t &&
	cbuild debug layer write --compression zstd t l.zst >w.out &&
	mkdir out && cbuild debug layer apply l.zst out >a.out &&
	test "$(field diff_id w.out)" = "$(field diff_id a.out)" &&
	test "$(field digest w.out)" = "$(field digest a.out)" &&
	cbuild debug layer write --compression zstd out l2.zst >w2.out &&
	test "$(field diff_id w.out)" = "$(field diff_id w2.out)"
'

test_expect_success 'SOURCE_DATE_EPOCH clamps mtimes' '
	fresh 6 &&
	mktree t && touch -d @2000000000 t/etc/passwd &&
	cbuild debug layer write --compression none --source-date-epoch 1800000000 t l.tar >/dev/null &&
	tar --full-time -tvf l.tar | grep etc/passwd >line &&
	test_grep "2027-01-15 08:00:00" line
'

test_expect_success 'a tree diff applied to the lower tree gives the upper tree' '
	fresh 7 &&
	mktree lower && cp -a lower upper && cp -a lower base &&
	echo changed >upper/etc/passwd && rm -r upper/usr && mkdir -p upper/new && echo n >upper/new/f &&
	cbuild debug layer diff --compression none lower upper d.tar >/dev/null &&
	cbuild debug layer ls d.tar >list &&
	test_grep " \.wh\.usr$" list &&
	cbuild debug layer apply d.tar base >/dev/null &&
	diff -r --no-dereference upper base
'

test_expect_success OVERLAY 'an overlay upperdir becomes whiteouts and opaque dirs' '
	fresh 8 &&
	mkdir -p lower/opq lower/keep upper work merged &&
	echo o >lower/opq/old && echo k >lower/keep/k && echo g >lower/gone &&
	mount -t overlay overlay -o "lowerdir=$PWD/lower,upperdir=$PWD/upper,workdir=$PWD/work" merged &&
	{ rm merged/gone && rm -r merged/opq && mkdir merged/opq && echo f >merged/opq/fresh &&
	  echo new >merged/keep/new; r=$?; umount merged; test $r = 0; } &&
	cbuild debug layer write --overlay --compression none upper l.tar >/dev/null &&
	cbuild debug layer ls l.tar >list &&
	test_grep "^f 0644 0:0 *0 \.wh\.gone$" list &&
	test_grep "^f 0644 0:0 *0 opq/\.wh\.\.wh\.\.opq$" list &&
	test_grep "keep/new$" list &&
	! grep -q "keep/k" list &&
	cp -a lower flat && cbuild debug layer apply l.tar flat >/dev/null &&
	! test -e flat/gone && ! test -e flat/opq/old &&
	test -f flat/opq/fresh && test -f flat/keep/k &&
	mkdir ovl && cbuild debug layer apply --overlay-form l.tar ovl >/dev/null &&
	test "$(stat -c "%F %t:%T" ovl/gone)" = "character special file 0:0" &&
	test "$(getfattr --only-values -n trusted.overlay.opaque ovl/opq 2>/dev/null || python3 -c "import os;print(os.getxattr(\"ovl/opq\",\"trusted.overlay.opaque\").decode())")" = y
'

test_expect_success PYTHON3 'malicious layers are rejected and nothing is written outside' '
	fresh 9 &&
	mkdir outside && printf s3cret >outside/secret &&
	python3 - "$PWD/outside" <<-\EOF &&
	import io, sys, tarfile
	out = sys.argv[1]
	def mk(name, members):
	    t = tarfile.open(name, "w", format=tarfile.PAX_FORMAT)
	    for kind, n, x in members:
	        i = tarfile.TarInfo(n)
	        if kind == "f":
	            i.size = len(x); t.addfile(i, io.BytesIO(x))
	        else:
	            i.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
	            i.linkname = x; t.addfile(i)
	    t.close()
	mk("dotdot.tar", [("f", "../outside/evil", b"x")])
	mk("abs.tar", [("f", out + "/evil", b"x")])
	mk("symlink.tar", [("l", "esc", out), ("f", "esc/evil", b"x")])
	mk("hardlink.tar", [("h", "evil", "../outside/secret")])
	mk("loop.tar", [("l", "a", "b"), ("l", "b", "a"), ("f", "a/evil", b"x")])
	EOF
	for c in dotdot abs symlink hardlink loop; do
		rm -rf target && mkdir target &&
		test_must_fail cbuild debug layer apply $c.tar target 2>err.$c &&
		test_grep "^error: apply layer to .target.: layer entry " err.$c &&
		test "$(ls -A outside)" = secret && test "$(cat outside/secret)" = s3cret || return 1
	done
'

test_done
