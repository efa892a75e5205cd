#!/bin/sh
# One "compile job": count the jobs running at this moment across all steps, keep the maximum.
set -e
d=$LFS/jobs
flock "$d/lock" sh -c "n=\$(cat '$d/count' 2>/dev/null || echo 0); n=\$((n+1)); echo \$n > '$d/count'; m=\$(cat '$d/max' 2>/dev/null || echo 0); if [ \$n -gt \$m ]; then echo \$n > '$d/max'; fi"
sleep 0.4
flock "$d/lock" sh -c "n=\$(cat '$d/count'); echo \$((n-1)) > '$d/count'"
echo "$1" >> "$d/done"
