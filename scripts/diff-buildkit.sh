#!/bin/sh
# diff-buildkit.sh - build the same Dockerfiles with Docker's BuildKit and
# with cbuild, and compare what comes out: every path of the exported rootfs
# (type, mode, owner, size, link target; not mtimes) and the image config.
# `make diff-buildkit`.  Needs a running dockerd whose `docker build` uses
# BuildKit (DOCKER_BUILDKIT=1) and the busybox-static package; skips
# otherwise.  Nothing is pulled: busybox is made here and loaded into both.
#
# Cases: owners (users, env, COPY/ADD forms, config), links (hard and
# symbolic, .dockerignore), expand (args and env across stages), run (what a
# RUN sees), syntax (escape directive, continuations, legacy forms), inherit
# (stage on stage), mounts (RUN --mount secret, cache, tmpfs, bind).
#
# Known differences, printed but not counted (DOCKER_BUILDKIT_KNOWN=0 counts
# them): an old BuildKit (< 0.11, Debian 12's docker.io 20.10) leaves the
# empty directories it made as RUN --mount targets in the image (cache/,
# mnt/, run/secrets/, ...); newer BuildKit and cbuild remove them.
#
# Env: CBUILD (default ./cbuild), DOCKER (default docker), WORK (a temp dir).
set -u
CBUILD=${CBUILD:-$(pwd)/cbuild}
DOCKER=${DOCKER:-docker}
src=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/diff-buildkit.XXXXXX")}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export CBUILD_ROOT="$work/store"

if ! "$DOCKER" info >/dev/null 2>&1; then
	echo "diff-buildkit: skipped: no Docker daemon ($DOCKER info failed)"
	exit 0
fi
command -v busybox >/dev/null 2>&1 || { echo "diff-buildkit: skipped: no busybox"; exit 0; }

# ---------------------------------------------------------------- the base
sh "$src/tests/helpers/busybox-rootfs.sh" "$work/bb" >/dev/null 2>&1 &&
	"$CBUILD" debug mkimage --rootfs "$work/bb" -o busybox:latest >/dev/null &&
	"$CBUILD" save --format docker -o "$work/bb.tar" busybox:latest &&
	"$DOCKER" load -i "$work/bb.tar" >/dev/null || { echo "diff-buildkit: cannot make the base"; exit 1; }

# ---------------------------------------------------------------- the cases
mk_owners() { # users, env, every COPY/ADD form, config instructions
	d=$work/owners; mkdir -p "$d/src/sub" "$d/src/emptydir"
	echo a >"$d/src/a.txt"; echo b >"$d/src/sub/b.txt"; chmod 640 "$d/src/sub/b.txt"
	ln -sf a.txt "$d/src/link"; echo x >"$d/top.txt"; tar czf "$d/arch.tgz" -C "$d/src" .
	cat >"$d/Dockerfile" <<'EOF'
FROM busybox:latest AS base
RUN echo 'app:x:1000:2000:app:/home/app:/bin/sh' >> /etc/passwd \
 && echo 'grp:x:2000:' >> /etc/group && echo 'other:x:3000:' >> /etc/group
FROM base
ARG V=1.0
ENV A=1 B="two words" C=${V}-x
LABEL l1=v1 "l 2"="v 2"
COPY src /copied
COPY src/ /copied2/
COPY --chown=app:grp src /owned
COPY --chown=1234 top.txt /n/
COPY --chown=:other top.txt /o1
COPY --chown=1000 top.txt /o2
COPY --chown=app:3000 top.txt /o3
COPY --chmod=0600 top.txt /m/top
COPY top.txt src/a.txt /multi/
COPY src/*.txt /glob/
ADD arch.tgz /extracted/
ADD --chown=app arch.tgz /extracted2
RUN rm /etc/motd || true; rm -rf /usr/share; mkdir -p /made/deep && touch /made/deep/f
USER app
WORKDIR /home/app/work/sub
WORKDIR rel
RUN touch created-by-app
USER 1000
WORKDIR /w1000
USER 4242
WORKDIR /w4242
USER root:grp
WORKDIR /w2
EXPOSE 80 443/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s CMD true
SHELL ["/bin/sh", "-xc"]
CMD echo hi
ONBUILD RUN true
EOF
}

mk_links() { # hardlinks, symlinks in stages, .dockerignore, setuid
	d=$work/links; mkdir -p "$d/d/e" "$d/emptyd" "$d/ign/keep"
	echo f >"$d/d/f"; echo g >"$d/d/e/g"; ln "$d/d/f" "$d/d/hard"; ln -s e "$d/d/elink"
	echo s >"$d/suid"; chmod 4755 "$d/suid"; echo . >"$d/.hidden"; echo x | gzip >"$d/plain.gz"
	echo i >"$d/ign/skip.txt"; echo k >"$d/ign/keep/k.txt"; echo md >"$d/readme.md"
	printf 'ign/*\n!ign/keep\n*.md\n' >"$d/.dockerignore"
	cat >"$d/Dockerfile" <<'EOF'
FROM busybox:latest AS b1
RUN mkdir -p /out/sub && echo one > /out/sub/one && ln -s /out/sub/one /out/abslink && chmod 700 /out/sub
FROM busybox:latest
RUN mkdir /existing
COPY d/f /existing
COPY d /dcopy
COPY d/elink /elinkcopy
COPY emptyd /emptyd
COPY suid .hidden /x/
ADD plain.gz /plain/
COPY ign /ign
COPY . /all
COPY --from=b1 /out /fromb1
COPY --from=b1 --chown=1000:1000 /out/sub /fromb1sub
COPY --from=b1 /out/abslink /abs2
RUN ["/bin/sh", "-c", "echo exec > /execform"]
RUN echo $0 > /shellname
EOF
}

mk_expand() { # args and env across stages, PATH, word expansion forms
	d=$work/expand; mkdir -p "$d"; echo a >"$d/a.txt"
	cat >"$d/Dockerfile" <<'EOF'
ARG BASE=busybox:latest
ARG GLOBAL=g1
FROM ${BASE} AS first
ARG GLOBAL
ARG LOCAL=l1
ENV DIR=/srv/app PORT=8080 EMPTY= Q="a b" GL=${GLOBAL} LC=${LOCAL:-none} U=${UNSET:-def} P=${LOCAL:+set}
WORKDIR $DIR
RUN echo "$GLOBAL $LOCAL $DIR" > args.txt
EXPOSE ${PORT} 9000/tcp
LABEL multi="line one \
line two" "quoted key"=x escaped=a\ b
USER 1234:5678
WORKDIR sub
COPY --chown=${PORT}:${PORT} a.txt ./
USER root
ENTRYPOINT echo entry
CMD ["c1", "c2"]
HEALTHCHECK NONE
FROM first AS second
ENV PATH=/custom:$PATH
RUN echo $PATH > /path.txt && echo "$Q|$EMPTY|$U|$P|$LC" > /vars.txt
STOPSIGNAL 9
VOLUME ["/v1", "/v2"]
EOF
}

mk_run() { # what a RUN sees: ids, HOME, umask, env, shells, mounts
	d=$work/run; mkdir -p "$d/src/a/b" "$d/src/c"
	echo 1 >"$d/src/a/b/one.txt"; echo 2 >"$d/src/a/two.md"; echo 3 >"$d/src/c/three.txt"
	echo t >"$d/top.txt"; printf 'src/**/*.md\n!src/a/two.md\nsrc/c\n' >"$d/.dockerignore"
	cat >"$d/Dockerfile" <<'EOF'
FROM busybox:latest
RUN echo 'app:x:1000:1000:app:/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
COPY src/ /s1/
COPY src/* /s2/
COPY src/a/*/one.txt /s3/
COPY top.txt /dir/
RUN ln -s /dir /dirlink
COPY top.txt /dirlink/viaLink.txt
RUN mkdir /work && chown app /work
USER app
WORKDIR /work
RUN echo "$(id -u):$(id -g) home=$HOME pwd=$(pwd) umask=$(umask)" > info && touch f && mkdir d
ENV X=1
RUN env | grep -v -E '^(HOSTNAME|SHLVL|_|OLDPWD)=' | sort > env.txt
SHELL ["/bin/sh", "-c", "-e"]
RUN echo shellform > sh.txt
USER root
RUN --mount=type=cache,target=/cache echo cached > /cache/x && cat /cache/x > /fromcache
RUN --mount=type=bind,source=top.txt,target=/mnt/top cat /mnt/top > /bound
ARG TARGETARCH
ARG TARGETPLATFORM BUILDPLATFORM TARGETOS
RUN echo "$TARGETARCH|$TARGETPLATFORM|$BUILDPLATFORM|$TARGETOS" > /plat.txt
WORKDIR /w
COPY top.txt .
COPY top.txt ./g
COPY src ./d2
COPY ["top.txt", "with space"]
COPY --from=busybox:latest /etc/pass* /from-image/etc/
EOF
}

mk_syntax() { # the escape directive, continuations with comments, legacy forms
	d=$work/syntax; mkdir -p "$d"
	cat >"$d/Dockerfile" <<'EOF'
# escape=`
FROM busybox:latest
ENV OLD value with spaces
ENV A="quoted ``backtick" B=x`
    C=continued
LABEL old="a b" `
      # a comment inside a continuation
      second=2
ARG Q="a b" R='c d'
RUN echo "$Q|$R" > /args.txt
CMD [ "echo", "json with \"quotes\"" ]
ENTRYPOINT [not json
EXPOSE 7000-7002/udp
WORKDIR C:\not\windows
EOF
}

mk_inherit() { # a stage on a stage: labels, ports, ENV order, volumes
	d=$work/inherit; mkdir -p "$d/d/e"; echo 1 >"$d/d/e/f"
	cat >"$d/Dockerfile" <<'EOF'
ARG BASE=busybox
FROM ${BASE}:latest AS base
LABEL keep=1 over=base
EXPOSE 22
VOLUME /vol
RUN mkdir -p /vol && echo before > /vol/file
FROM base
ARG U=1234
LABEL over=child
EXPOSE 23
ENV B=2
ENV A=$B B=3 C=$B
COPY --chmod=0750 d /dchmod
USER $U
RUN echo after > /tmp/u.txt || true
USER root
RUN echo changed > /vol/file2
WORKDIR /a/b/c
RUN touch here
EOF
}

mk_mounts() { # what RUN --mount gives a step (the build passes --secret)
	d=$work/mounts; mkdir -p "$d"; echo topsecret >"$d/s.txt"; echo ctx >"$d/c.txt"
	cat >"$d/Dockerfile" <<'EOF'
FROM busybox:latest
RUN --mount=type=secret,id=mysec stat -c '%a %u %g %s %n' /run/secrets/mysec > /sec1 && cat /run/secrets/mysec >> /sec1
RUN --mount=type=secret,id=mysec,target=/etc/x,mode=0440,uid=7,gid=8 stat -c '%a %u %g %n' /etc/x > /sec2
RUN --mount=type=secret,id=nosuch true; echo rc=$? > /sec3
RUN --mount=type=cache,target=/c,uid=5,gid=6,mode=0700 stat -c '%a %u %g %n' /c > /cache1
RUN --mount=type=tmpfs,target=/t stat -c '%a %u %g %n' /t > /tmpfs1 && touch /t/x
RUN --mount=type=bind,source=c.txt,target=/b/c.txt stat -c '%a %u %g %n' /b/c.txt > /bind1 && (echo w > /b/c.txt) 2>/dev/null; echo rc=$? >> /bind1
RUN --mount=type=bind,source=.,target=/ctx,rw echo changed > /ctx/c.txt && cat /ctx/c.txt > /bind2
EOF
}

# ---------------------------------------------------------------- compare
listing() { # IMAGE: the exported rootfs, one line per path
	id=$("$DOCKER" create "$1" /bin/true) || return 1
	"$DOCKER" export "$id" | tar -tvf - --numeric-owner 2>/dev/null |
		awk '{ $4 = ""; $5 = ""; print }' | sed 's/  */ /g' |
		grep -v -E ' (\.dockerenv|dev/|proc/|sys/|etc/hostname|etc/hosts|etc/resolv.conf|etc/mtab)' |
		sort -k4
	"$DOCKER" rm "$id" >/dev/null
}

known() { # a diff line that is a known version difference
	[ "${DOCKER_BUILDKIT_KNOWN:-1}" = 1 ] || return 1
	case "$1" in
	"< drwxr-xr-x 0/0 0 "* | "< drwxr-xr-x 0:0 0 ./"*) ;;
	*) return 1 ;;
	esac
	# an empty directory BuildKit < 0.11 made as a RUN --mount target
	case "${1##* }" in
	cache/ | mnt/ | b/ | c/ | t/ | ctx/ | run/ | run/secrets/ | ./cache | ./mnt | ./b | ./c | ./t | ./ctx \
	| ./run | ./run/secrets) return 0 ;;
	esac
	return 1
}

fails=0
cases="owners links expand run syntax inherit mounts"
for c in $cases; do
	"mk_$c"
	d=$work/$c
	set --
	[ "$c" != mounts ] || set -- --secret "id=mysec,src=$d/s.txt"
	if ! (cd "$d" && DOCKER_BUILDKIT=1 "$DOCKER" build -q "$@" -t "diff-bk:$c" . >/dev/null 2>"$work/$c.dk.err"); then
		echo "$c: docker build failed: $(tail -1 "$work/$c.dk.err")"; fails=$((fails + 1)); continue
	fi
	if ! "$CBUILD" build -q --no-cache "$@" -t "diff-cb:$c" -o "type=docker,dest=$work/$c.tar" "$d" >/dev/null 2>"$work/$c.cb.err"; then
		echo "$c: cbuild build failed: $(tail -1 "$work/$c.cb.err")"; fails=$((fails + 1)); continue
	fi
	"$DOCKER" load -i "$work/$c.tar" >/dev/null
	listing "diff-bk:$c" >"$work/$c.bk.list"
	listing "diff-cb:$c" >"$work/$c.cb.list"
	n=0
	diff "$work/$c.bk.list" "$work/$c.cb.list" | grep '^[<>]' >"$work/$c.diff"
	while IFS= read -r line; do
		if known "$line"; then
			echo "$c: known: $line"
		else
			echo "$c: rootfs: $line"; n=$((n + 1))
		fi
	done <"$work/$c.diff"
	for f in Env WorkingDir User Cmd Entrypoint Labels ExposedPorts Volumes StopSignal Healthcheck OnBuild Shell; do
		a=$("$DOCKER" image inspect "diff-bk:$c" --format "{{json .Config.$f}}")
		b=$("$DOCKER" image inspect "diff-cb:$c" --format "{{json .Config.$f}}")
		[ "$a" = "$b" ] || { echo "$c: config $f: buildkit $a, cbuild $b"; n=$((n + 1)); }
	done
	# -o type=local: the final rootfs as the client gets it
	if (cd "$d" && DOCKER_BUILDKIT=1 "$DOCKER" build -q "$@" -o "type=local,dest=$work/$c.bk.local" . >/dev/null 2>&1) &&
		"$CBUILD" build -q "$@" -o "type=local,dest=$work/$c.cb.local" "$d" >/dev/null 2>&1; then
		for w in bk cb; do
			(cd "$work/$c.$w.local" && find . -printf '%M %U:%G %s %p %l\n' | sort -k4) >"$work/$c.$w.files"
		done
		diff "$work/$c.bk.files" "$work/$c.cb.files" | grep '^[<>]' >"$work/$c.ldiff"
		while IFS= read -r line; do
			case "$line" in
			# directories' sizes are the filesystem's, not the build's
			"< d"* | "> d"*) known "$(echo "$line" | awk '{print $1, $2, $3, 0, $5}')" && continue ;;
			esac
			echo "$c: local: $line"; n=$((n + 1))
		done <"$work/$c.ldiff"
	else
		echo "$c: -o type=local failed"; n=$((n + 1))
	fi
	[ $n = 0 ] && echo "$c: same" || fails=$((fails + 1))
	"$DOCKER" rmi -f "diff-bk:$c" "diff-cb:$c" >/dev/null 2>&1
done
echo "diff-buildkit: $(($(echo $cases | wc -w) - fails)) same, $fails differ (BuildKit: $("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null))"
[ $fails = 0 ]
