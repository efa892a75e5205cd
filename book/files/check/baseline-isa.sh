#!/bin/bash
# baseline-isa.sh FILE...: fails when an ELF file holds an x86-64 instruction beyond the
# baseline that every x86-64 CPU (and QEMU's default qemu64 model) runs: BMI2 and ADX
# (mulx, adcx, adox, shlx/shrx/sarx, rorx, pdep/pext), BMI1 (andn, bextr, blsi, blsmsk, blsr)
# and any VEX or EVEX coded instruction (AVX, AVX2, AVX-512, FMA, F16C: mnemonics `v...`,
# registers %ymm/%zmm/%k). tzcnt and lzcnt are not listed: GCC's generic code writes
# `rep bsf`, which objdump shows as tzcnt and which every CPU runs.
# Prints each offending instruction kind with a count and one example, exits 1; 0 when clean.
# Used by ch8/gmp and ch8/libffi (issue: GCC crashed with SIGILL under `qemu -cpu qemu64`
# because GMP had been tuned for the build host's CPU), and by tests/book/baseline-isa.sh.
set -u
command -v objdump >/dev/null || { echo "baseline-isa: objdump not found" >&2; exit 2; }
[ $# -gt 0 ] || { echo "usage: baseline-isa.sh FILE..." >&2; exit 2; }
status=0
for f in "$@"; do
  [ -f "$f" ] || { echo "baseline-isa: $f: no such file" >&2; status=2; continue; }
  dis=$(objdump -d --no-show-raw-insn "$f") || { echo "baseline-isa: objdump failed on $f" >&2; status=2; continue; }
  report=$(printf '%s\n' "$dis" | awk -F'\t' '
    NF >= 2 && $1 ~ /^ *[0-9a-f]+:$/ {
      split($2, w, " "); m = w[1]
      if (m ~ /^(rex|data16|lock|rep|repz|repnz|notrack|bnd|cs|ds|ss|es|fs|gs)$/) m = w[2]
      bad = ""
      if (m ~ /^(mulx|adcx|adox|shlx|shrx|sarx|rorx|pdep|pext|andn|bextr|blsi|blsmsk|blsr|bzhi)$/) bad = m
      else if (m ~ /^v[a-z]/ && m !~ /^(verr|verw)$/) bad = m
      else if ($2 ~ /%[yz]mm[0-9]/) bad = m " (ymm/zmm)"
      if (bad != "") { n[bad]++; if (!(bad in ex)) ex[bad] = $1 "\t" $2 }
    }
    END { for (k in n) printf "  %s x%d, e.g. %s\n", k, n[k], ex[k] }' | sort)
  if [ -n "$report" ]; then
    echo "baseline-isa: $f holds instructions beyond the x86-64 baseline:"
    printf '%s\n' "$report"
    status=1
  else
    echo "baseline-isa: $f: x86-64 baseline only"
  fi
done
exit $status
