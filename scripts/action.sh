#!/usr/bin/env bash
# The steps of action.yml as a script that tests/test_action.py runs: validate with GitHub
# annotations, plan, and append the Markdown plan to the job summary.
# Inputs: SBN_PATHS (required), SBN_REQUESTS, SBN_NETWORK (words separated by spaces or new lines;
# paths with spaces are not supported), SBN_FAIL_ON_INFEASIBLE (true|false).
# GitHub's files: GITHUB_STEP_SUMMARY, GITHUB_OUTPUT; the plan is written under RUNNER_TEMP.
set -uo pipefail

words() { local -a list; read -r -d '' -a list <<< "$1" || true; printf '%s\n' "${list[@]}"; }
mapfile -t paths < <(words "${SBN_PATHS:-}")
mapfile -t requests < <(words "${SBN_REQUESTS:-}")
mapfile -t networks < <(words "${SBN_NETWORK:-}")
if [ "${#paths[@]}" -eq 0 ] || [ -z "${paths[0]}" ]; then
  echo "::error::sbn action: the 'paths' input is empty: give the network's files or directories"
  exit 2
fi
if [ "${#requests[@]}" -eq 0 ] || [ -z "${requests[0]}" ]; then requests=("${paths[@]}"); fi
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
output=${GITHUB_OUTPUT:-/dev/null}
plan_file="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sbn-plan.md"

# 1. Validate: each problem becomes an annotation (::error file=...,line=...,col=...::message).
sbn validate --format github "${paths[@]}"
validated=$?
if [ "$validated" -ne 0 ]; then
  {
    echo "## sbn: the network has errors"
    echo
    echo "\`sbn validate\` exited with $validated; each problem is annotated on its file and line."
  } >> "$summary"
  echo "exit-code=$validated" >> "$output"
  exit "$validated"
fi

# 2. Plan, as Markdown for the job summary (written even when a request cannot be planned).
network_args=()
for network in "${networks[@]}"; do
  if [ -n "$network" ]; then network_args+=(--network "$network"); fi
done
sbn plan "${requests[@]}" "${network_args[@]}" --format markdown --output "$plan_file"
planned=$?
if [ -s "$plan_file" ]; then cat "$plan_file" >> "$summary"; fi
echo "exit-code=$planned" >> "$output"
echo "plan=$plan_file" >> "$output"
if [ "$planned" -eq 1 ] && [ "${SBN_FAIL_ON_INFEASIBLE:-true}" = "false" ]; then
  echo "sbn: a request could not be planned (see the job summary); not failing, as fail-on-infeasible is false"
  exit 0
fi
exit "$planned"
