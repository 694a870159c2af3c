#!/bin/sh
# Non-test Go lines per package and per capability, at two commits, for the
# packages that exist at both. Usage: scripts/loc-per-capability.sh [BASE [HEAD]]
# (default 98fda7d, the commit before the issue-14 refactor series, and HEAD).
# A package's lines are the lines of its own *.go files that are not *_test.go
# (sub-packages count on their own). The last column counts the commits since
# BASE that changed the package's non-test files: where lines grew, read them
# with `git log --oneline BASE..HEAD -- 'DIR/*.go' ':!DIR/*_test.go'`.
set -eu
base=${1:-98fda7d}
head=${2:-HEAD}

pkgs() { git ls-tree -r --name-only "$1" | grep '\.go$' | grep -v '_test\.go$' | sed 's|/[^/]*$||' | sort -u; }
lines() { # rev dir
	git ls-tree --name-only "$1" "$2/" | grep '\.go$' | grep -v '_test\.go$' |
		while read -r f; do git cat-file -p "$1:$f"; done | wc -l
}
group() {
	case $1 in
	internal/flow/login) echo login ;;
	internal/flow/registration) echo registration ;;
	internal/flow/settings) echo settings ;;
	internal/flow/logout) echo logout ;;
	internal/flow | internal/flow/form | internal/ui | internal/text | internal/httpx | internal/apierr) echo flow-shared ;;
	internal/session | internal/sessionapi) echo session ;;
	internal/admin | internal/schemaapi) echo admin ;;
	internal/method/*/* | internal/apptest* | internal/browsertest | internal/sdktest | internal/testdb | \
		internal/kratosexamples | internal/store/conformance | bench/*) echo test-support ;;
	internal/method/*) echo "method-${1#internal/method/}" ;;
	internal/identity | internal/schema) echo identity ;;
	internal/store | internal/store/*) echo storage ;;
	internal/server | internal/config | cmd/*) echo assembly ;;
	*) echo primitives ;;
	esac
}

common=$(pkgs "$base" | sort >/tmp/loc.$$.a; pkgs "$head" | sort | comm -12 /tmp/loc.$$.a -; rm -f /tmp/loc.$$.a)
for d in $common; do
	b=$(lines "$base" "$d"); h=$(lines "$head" "$d")
	n=$(git rev-list --count "$base..$head" -- "$d/*.go" ":!$d/*_test.go")
	printf '%s %s %s %s %s\n' "$(group "$d")" "$d" "$b" "$h" "$n"
done | sort | awk -v base="$base" -v head="$head" '
	{ g[$1]+=$3; h[$1]+=$4; c[$1]+=$5; tb+=$3; th+=$4
	  printf "| %-15s | %-37s | %6d | %6d | %+6d | %3d |\n", $1, $2, $3, $4, $4-$3, $5 }
	BEGIN { printf "| group | package | %s | %s | change | commits |\n|---|---|---:|---:|---:|---:|\n", base, head }
	END { print ""; printf "| group | %s | %s | change |\n|---|---:|---:|---:|\n", base, head
	      for (k in g) printf "| %-15s | %6d | %6d | %+6d |\n", k, g[k], h[k], h[k]-g[k] | "sort"
	      close("sort"); printf "| %-14s | %6d | %6d | %+6d |\n", "all", tb, th, th-tb }'
