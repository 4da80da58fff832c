#!/bin/sh
test_description='bash completion: every command and option of cbuild help is in doc/cbuild.bash-completion, and completing works'
. "$(dirname "$0")/lib.sh"

COMP=$SRC_DIR/doc/cbuild.bash-completion
command -v bash >/dev/null 2>&1 && test_set_prereq BASH

# complete WORDS...: run the completion in bash as if the cursor were at the
# end of the last word; prints COMPREPLY one per line.  "cbuild" is $CBUILD.
complete_words() {
	mkdir -p bin && ln -sf "$CBUILD" bin/cbuild &&
	PATH="$TRASH/bin:$PATH" bash -c '. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _cbuild
		[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' "$COMP" "$@"
}

# complete_line "LINE": as bash calls it, with COMP_LINE, the cursor at its
# end, and COMP_WORDS split at the default COMP_WORDBREAKS.
complete_line() {
	mkdir -p bin && ln -sf "$CBUILD" bin/cbuild &&
	PATH="$TRASH/bin:$PATH" bash -c '. "$0"
		COMP_LINE=$1 COMP_POINT=${#1} COMP_WORDBREAKS=$(printf "\"'"'"'><=;|&(: \t\n")
		COMP_WORDS=(x) COMP_CWORD=0; _cbuild
		[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' "$COMP" "$1"
}

# The options "cbuild help CMD" prints, one per line (-t and --tag separately).
help_options() {
	cbuild help "$1" 2>/dev/null | sed -n '/^options:/,$p' |
		sed -n 's/^ *\(-[A-Za-z0-9]\), \(--[a-z0-9-]*\).*/\1\n\2/p; s/^ *\(--[a-z0-9-]*\).*/\1/p'
}

commands_of_help() {
	cbuild --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}

test_expect_success BASH 'the completion file is valid bash and defines _cbuild' '
	bash -n "$COMP" &&
	bash -c ". \"$COMP\" && complete -p cbuild" >out &&
	test_grep "_cbuild cbuild" out
'

test_expect_success BASH 'the commands are exactly those of cbuild --help' '
	commands_of_help | sort >want &&
	test -s want &&
	bash -c ". \"$COMP\"; printf \"%s\\n\" \$_cbuild_commands" | sort >have &&
	test_cmp want have
'

test_expect_success BASH 'every option of cbuild help CMD is completed, and no other' '
	: >missing && : >stale &&
	for c in $(commands_of_help); do
		help_options $c | sort -u >want.$c &&
		bash -c ". \"$COMP\"; printf \"%s\\n\" \$(_cbuild_opts $c)" | sed "/^\$/d" | sort -u >have.$c &&
		comm -23 want.$c have.$c | sed "s/^/$c /" >>missing &&
		comm -13 want.$c have.$c | sed "s/^/$c /" >>stale || return 1
	done &&
	test $(cat want.build | wc -l) -gt 20 &&
	test_cmp /dev/null missing &&
	test_cmp /dev/null stale
'

test_expect_success BASH 'the debug subcommands are those of cbuild debug --help' '
	cbuild debug --help 2>&1 | sed -n "s/^  \([a-z][a-z-]*\) .*/\1/p" | sort >want &&
	test -s want &&
	bash -c ". \"$COMP\"; printf \"%s\\n\" \$_cbuild_debug_commands" | sort >have &&
	test_cmp want have
'

test_expect_success BASH 'commands, options and option values complete' '
	complete_words cbuild bu >out && test "$(cat out)" = build &&
	complete_words cbuild --root /tmp/x pu >out && printf "pull\npush\n" >want && test_cmp want out &&
	complete_words cbuild build --prog >out && test "$(cat out)" = --progress &&
	complete_words cbuild build --progress p >out && test "$(cat out)" = plain &&
	complete_words cbuild build --progress = r >out && test "$(cat out)" = rawjson &&
	complete_words cbuild build --compression z >out && test "$(cat out)" = zstd &&
	complete_words cbuild save --format oci >out && printf "oci\noci-dir\n" >want && test_cmp want out &&
	complete_words cbuild help ta >out && test "$(cat out)" = tag &&
	complete_words cbuild debug con >out && test "$(cat out)" = contenthash &&
	complete_line "cbuild build --progress=ra" >out && test "$(cat out)" = rawjson &&
	complete_line "cbuild --debug build --tls-verify=f" >out && test "$(cat out)" = false &&
	complete_line "cbuild build --progress=plain --comp" >out && test "$(cat out)" = --compression &&
	complete_line "cbuild build --no-c" >out && printf "%s\n" --no-cache --no-cache-filter >want &&
	test_cmp want out &&
	complete_line "cbuild " >out && test_grep -x bake out && test_grep -x version out
'

test_expect_success BASH 'CONTEXT completes directories, -f files, --target the stages' '
	mkdir -p ctx/sub && printf "FROM busybox AS base\nFROM base as final\n" >ctx/Dockerfile &&
	complete_words cbuild build -t x ct >out && test "$(cat out)" = ctx &&
	complete_words cbuild build ctx/ >out && test "$(cat out)" = ctx/sub &&
	complete_words cbuild build -f ctx/D >out && test "$(cat out)" = ctx/Dockerfile &&
	complete_words cbuild build --target "" ctx >out.none &&
	complete_words cbuild build -f ctx/Dockerfile --target "" >out &&
	printf "base\nfinal\n" >want && test_cmp want out
'

test_expect_success BASH,BUSYBOX 'image names come from cbuild images --format json' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	cbuild tag busybox:latest example.com/team/app:1.0 &&
	complete_words cbuild rmi "" >out &&
	printf "busybox:latest\nexample.com/team/app:1.0\n" >want &&
	test_cmp want out &&
	complete_words cbuild run --rm -e A=1 exa >out &&
	test_grep -x "example.com/team/app:1.0" out &&
	complete_words cbuild run --rm example.com/team/app:1.0 "" >out &&
	test_cmp /dev/null out &&
	complete_line "cbuild push example.com/team/app:" >out &&
	test "$(cat out)" = 1.0
'

test_expect_success BASH,BUSYBOX 'image names complete without jq too' '
	mkdir -p nojq &&
	for t in bash grep sed paste awk sort cat; do ln -sf "$(command -v $t)" nojq/$t || return 1; done &&
	ln -sf "$CBUILD" nojq/cbuild &&
	PATH="$TRASH/nojq" bash -c ". \"$COMP\"; COMP_WORDS=(cbuild inspect exa); COMP_CWORD=2; _cbuild
		printf \"%s\\n\" \"\${COMPREPLY[@]}\"" >out &&
	test_grep -x "example.com/team/app:1.0" out
'

test_done
