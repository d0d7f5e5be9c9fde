#!/usr/bin/env bash
# Every relative link of the documentation pages resolves, and so does every
# #anchor it names (check_links.py). Needs /usr/bin/python3.
set -uo pipefail

cd "$TEST_SRCDIR/$TEST_WORKSPACE/docs" || exit 1
checker=./check_links.py
failures=0

# The check itself must be able to fail: a page with a missing file, a
# missing anchor and a good anchor.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '# A heading (--with) `code`\n[ok](#a-heading---with-code)\n[no](#nope)\n[gone](gone.md)\n' \
  > "$scratch/page.md"
blind=$(/usr/bin/python3 "$checker" "$scratch/page.md")
if [[ $blind != *"2 broken links"* ]]; then
  echo "FAIL: the checker did not find the 2 broken links of a test page: $blind"
  failures=$((failures + 1))
fi

/usr/bin/python3 "$checker" *.md ../README.md || failures=$((failures + 1))
((failures == 0))
