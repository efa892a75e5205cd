# book/files/check/baseline-isa.sh, the check ch8/gmp and ch8/libffi run on their installed
# libraries: instructions beyond the x86-64 baseline (which QEMU's default CPU runs) fail it, a
# baseline object passes, and the recipes build generic code and call the check.
. "$(dirname "$0")/../lib/check.sh"
CHECK=$ROOT/book/files/check/baseline-isa.sh
for t in as objdump; do
	command -v $t >/dev/null || { skip "baseline-isa" "$t missing (binutils: make deps)"; exit 0; }
done

obj() { printf '.text\n.globl f\nf:\n%s\n ret\n' "$2" >"$T/$1.s" && as -o "$T/$1.o" "$T/$1.s"; }
obj clean ' add %rax,%rbx
 imul %rcx,%rdx
 movdqa %xmm0,%xmm1
 rep bsf %rax,%rax'
obj bmi2 ' mulx %rax,%rbx,%rcx'
obj adx ' adcx %rax,%rbx
 adox %rax,%rbx'
obj avx ' vpxor %xmm0,%xmm0,%xmm0'
obj avx2 ' vpaddq %ymm0,%ymm1,%ymm2'
obj bmi1 ' andn %rax,%rbx,%rcx'

ok "a baseline object passes (rep bsf, SSE2 included)" bash "$CHECK" "$T/clean.o"
expect_in "it says so" "x86-64 baseline only" "$(cat "$T/.out")"
fails "mulx (BMI2) fails" bash "$CHECK" "$T/bmi2.o"
expect_in "it names mulx" "mulx x1" "$(cat "$T/.out")"
fails "adcx/adox (ADX) fail" bash "$CHECK" "$T/adx.o"
expect_in "it names adox" "adox x1" "$(cat "$T/.out")"
fails "a VEX instruction (AVX) fails" bash "$CHECK" "$T/avx.o"
fails "a ymm register (AVX2) fails" bash "$CHECK" "$T/avx2.o"
fails "andn (BMI1) fails" bash "$CHECK" "$T/bmi1.o"
fails "one bad file among good ones fails" bash "$CHECK" "$T/clean.o" "$T/bmi2.o"
bash "$CHECK" "$T/missing.o" >/dev/null 2>&1
expect_in "a missing file is an error of its own (exit 2), not a pass" "2" "$?"

R=$ROOT/book/ch8
ok "ch8/gmp configures the generic library (the book's --host=none-linux-gnu)" grep -q -- '--host=none-linux-gnu' "$R/gmp.recipe"
ok "ch8/gmp checks libgmp and libgmpxx after install" grep -q 'baseline-isa.sh" /usr/lib/libgmp.so.10 /usr/lib/libgmpxx.so.4' "$R/gmp.recipe"
ok "ch8/libffi is built for x86-64, not the host" grep -q -- '--with-gcc-arch=x86-64' "$R/libffi.recipe"
ok "ch8/libffi checks libffi after install" grep -q 'baseline-isa.sh" /usr/lib/libffi.so' "$R/libffi.recipe"
fails "no recipe tunes for the build host's CPU (native)" grep -rlE -- '-march=native|-mtune=native|gcc-arch=native|--with-arch=native' "$ROOT/book"
