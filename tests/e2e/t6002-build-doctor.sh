#!/bin/sh
test_description='cbuild build --doctor and --fixup: the doctor on the build result, fixups as one extra layer'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIR/fixtures

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	cp -r "$FIX/doctor-home" hctx &&
	cp -r "$FIX/doctor-right" right
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--doctor reports the finding; only --doctor=strict fails the build' '
	cbuild build --progress=quiet --doctor -t trap:1 hctx >id 2>err &&
	test_grep "error\[home-missing\]: HOME .\/home\/app. of user .app. does not exist" err &&
	test_exit_code 1 cbuild build --progress=quiet --doctor=strict hctx 2>err2 &&
	test_grep "the image doctor found 1 problem (--doctor=strict)" err2
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--fixup=home makes the image pass and start as its user' '
	cbuild build --progress=quiet --fixup=home --doctor=strict -t trap:fixed hctx >fid 2>ferr &&
	test_grep "fixup: home: created /home/app owned by 1000:1000" ferr &&
	test "$(cbuild run trap:fixed)" = started &&
	cbuild inspect trap:fixed | jq -r ".[0].Config.history[-1].created_by" >hist &&
	test_grep "home" hist &&
	cbuild doctor trap:fixed
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--fixup on a right image changes nothing; --doctor finds nothing' '
	cbuild build --progress=quiet -t right:1 right >r1 &&
	cbuild build --progress=quiet --fixup=all --doctor=strict -t right:2 right >r2 2>rerr &&
	test_cmp r1 r2 &&
	! grep -q "fixup:" rerr
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a localhost build-arg default baked into a file is found; overriding it clears it' '
	mkdir -p fe &&
	printf "FROM busybox:latest\nARG NEXT_PUBLIC_API_BASE=http://localhost:3000\nRUN mkdir -p /app && echo \"window.API=\\\"\$NEXT_PUBLIC_API_BASE\\\"\" > /app/config.js\n" >fe/Dockerfile &&
	cbuild build --progress=quiet --doctor fe >/dev/null 2>ferr &&
	test_grep "build-arg-default-baked" ferr &&
	test_grep "NEXT_PUBLIC_API_BASE" ferr &&
	test_grep "/app/config.js" ferr &&
	cbuild build --progress=quiet --doctor=strict --build-arg NEXT_PUBLIC_API_BASE=https://api.acme.io fe >/dev/null 2>ferr2 &&
	! grep -q "build-arg-default-baked" ferr2
'

test_expect_success 'bad --doctor and --fixup values are usage errors' '
	test_exit_code 2 cbuild build --doctor=loud right 2>e1 &&
	test_grep "want --doctor or --doctor=strict" e1 &&
	test_exit_code 2 cbuild build --fixup=teeth right 2>e2 &&
	test_grep "teeth" e2
'

test_done
