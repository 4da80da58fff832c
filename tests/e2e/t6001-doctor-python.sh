#!/bin/sh
test_description='cbuild doctor: the Python user-site trap on a Debian base with python3 and pip (mmdebstrap, cached), its exact finding, and --fixup'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIR/fixtures

# debian_python_image DIR: an OCI layout (tag latest) with Debian bookworm
# minbase + python3 + python3-pip, made by mmdebstrap from Debian's
# packages and cached in $CBUILD_TEST_CACHE (a few minutes the first time).
debian_python_image() {
	_cache="$CBUILD_TEST_CACHE/debian-bookworm-python3-pip"
	if [ ! -f "$_cache/index.json" ]; then
		command -v mmdebstrap >/dev/null 2>&1 || return 1
		mkdir -p "$CBUILD_TEST_CACHE" || return 1
		_w=$(mktemp -d "$CBUILD_TEST_CACHE/debpy.XXXXXX") || return 1
		SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} mmdebstrap --variant=minbase \
			--include=python3,python3-pip \
			--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
			--customize-hook='rm -f "$1"/etc/resolv.conf "$1"/etc/hostname' \
			--format=tar bookworm "$_w/raw.tar" >"$_w/log" 2>&1 &&
		mmtarfilter --path-exclude='/dev/*' <"$_w/raw.tar" >"$_w/layer.tar" &&
		umoci init --layout "$_w/oci" &&
		umoci new --image "$_w/oci:latest" &&
		umoci raw add-layer --image "$_w/oci:latest" "$_w/layer.tar" &&
		umoci config --image "$_w/oci:latest" --no-history --architecture amd64 --os linux \
			--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--config.cmd bash &&
		umoci gc --layout "$_w/oci" &&
		{ mv "$_w/oci" "$_cache" 2>/dev/null || test -f "$_cache/index.json"; }
		_rc=$?
		rm -rf "$_w"
		[ $_rc = 0 ] || return 1
	fi
	rm -rf "$1" && cp -a "$_cache" "$1"
}

test_have_prereq ROOT,RUNTIME,UMOCI && debian_python_image debpy && test_set_prereq DEBPY

test_expect_success DEBPY 'the Debian python base goes into the store and has no findings' '
	cbuild load -i debpy -t debian-python:latest >/dev/null &&
	cbuild doctor --strict debian-python >out &&
	test ! -s out
'

test_expect_success DEBPY 'the app done right has no findings and starts' '
	cbuild build -q -t py-right "$FIX/doctor-python-right" >/dev/null &&
	cbuild doctor --strict py-right >out &&
	test ! -s out &&
	cbuild run py-right >run.out &&
	test_grep "hello server up" run.out
'

test_expect_success DEBPY 'the trap: exactly which modules are unimportable, and the ENV that fixes it' '
	cbuild build -q -t py "$FIX/doctor-python" >/dev/null &&
	test_exit_code 1 cbuild doctor --format json py >out.json &&
	test "$(jq -r "[.[].id] | join(\" \")" out.json)" = \
		"cmd-not-found python-user-site python-scripts-not-on-path" &&
	test "$(jq -r ".[0].evidence.found_in" out.json)" = /home/app/.local/bin &&
	test "$(jq -r ".[1].message" out.json)" = \
		"python packages in '\''/home/app/.local/lib/python3.11/site-packages'\'' are not importable by user '\''app'\'': its user base is '\''/app/.local'\''" &&
	test "$(jq -r ".[1].evidence.modules" out.json)" = hello &&
	test "$(jq -r ".[1].evidence.distributions" out.json)" = hello-1.0.dist-info &&
	test "$(jq -r ".[1].fix" out.json)" = \
		"ENV PYTHONUSERBASE=/home/app/.local PATH=/home/app/.local/bin:\$PATH (or cbuild build --fixup=userbase)" &&
	test "$(jq -r ".[2].evidence.scripts" out.json)" = hello-server
'

test_expect_success DEBPY 'the trap fails at run time as the doctor says' '
	test_must_fail cbuild run py >err 2>&1 &&
	test_must_fail cbuild run py python3 -c "import hello" >err 2>&1 &&
	test_grep "No module named .hello." err
'

test_expect_success DEBPY '--exec confirms the finding by importing the modules in the image' '
	test_exit_code 1 cbuild doctor --exec --format json py >out.json &&
	test "$(jq -r ".[1].evidence.exec" out.json)" = \
		"[python3, -c, import hello] exited 1: ModuleNotFoundError: No module named '\''hello'\''" &&
	test "$(jq -r ".[1].severity" out.json)" = error &&
	test "$(jq -r ".[0].evidence.exec" out.json)" = \
		"[sh, -c, command -v \"\$0\", hello-server] exited 127: (no output)"
'

test_expect_success DEBPY '--fixup=userbase,path sets PYTHONUSERBASE and PATH; the image passes and starts' '
	cbuild doctor --fixup=userbase,path py -t py-fixed 2>log >out &&
	test_grep "^fixup: userbase: PYTHONUSERBASE=/home/app/.local$" log &&
	test_grep "^fixup: userbase: PATH=/home/app/.local/bin:...$" log &&
	test ! -s out &&
	cbuild doctor --strict py-fixed &&
	cbuild inspect py-fixed >i.json &&
	test "$(jq ".[0].Manifest.layers | length" i.json)" = "$(cbuild inspect py | jq ".[0].Manifest.layers | length")" &&
	jq -e ".[0].Config.history[-1].empty_layer" i.json >/dev/null &&
	cbuild run py-fixed >run.out &&
	test_grep "hello server up" run.out
'

test_done
