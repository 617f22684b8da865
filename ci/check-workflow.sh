#!/usr/bin/env bash
# The GitHub Actions workflow (.github/workflows/ci.yml) cannot run here;
# this checks what can be checked of it, so that it does not rot:
#   - it parses, and has the Linux, macOS and Windows jobs;
#   - every action it uses is one of those listed below;
#   - every command of every `run:` is a tool the runner has (listed
#     below) or a script of this repository that exists and is executable;
#   - every path into the repository it names exists;
#   - every -DDGRAM_* option is one the build defines;
#   - every ctest label (-L) is one the build gives tests;
#   - every ci/ script it runs and every label it tests is in the README.
#
#   ci/check-workflow.sh [WORKFLOW]
set -euo pipefail
cd "$(dirname "$0")/.."
"$PWD/ci/deps.sh" python3-yaml
workflow=${1:-.github/workflows/ci.yml}

/usr/bin/python3 - "$workflow" <<'EOF'
import os
import re
import shlex
import sys

import yaml

workflow = sys.argv[1]
problems = []
# What the hosted runners provide (ubuntu-latest, macos-latest,
# windows-latest), as far as this workflow uses it.
RUNNER_TOOLS = {"cmake", "ctest", "brew", "vcpkg", "sudo", "apt-get", "bash"}
ACTIONS = {"actions/checkout@v4"}
RUNNERS = {"ubuntu-latest", "macos-latest", "windows-latest"}
REPO_DIRS = ("ci/", "cmake/", "test/", "tools/", "examples/", "include/",
             "src/", "docs/", "fuzz/", "bench/", ".github/")

with open(workflow) as f:
    doc = yaml.safe_load(f)
jobs = doc.get("jobs") or {}
runners = {job.get("runs-on") for job in jobs.values()}
for runner in sorted(RUNNERS - runners):
    problems.append(f"no job runs on {runner}")


def cmake_text():
    text = ""
    for top, _, files in os.walk("."):
        if top.startswith(("./build", "./.git")):
            continue
        for name in files:
            if name == "CMakeLists.txt" or name.endswith(".cmake"):
                with open(os.path.join(top, name)) as f:
                    text += f.read() + "\n"
    return text


cmake = cmake_text()
options = set(re.findall(r"option\(\s*(DGRAM_\w+)", cmake))
options |= set(re.findall(r"set\(\s*(DGRAM_\w+)\s[^)]*CACHE", cmake))
options |= set(re.findall(r"dgram_auto_option\(\s*(DGRAM_\w+)", cmake))
labels = set()
for group in re.findall(r'LABELS\s+(?:"([^"]+)"|([^\s)]+))', cmake):
    group = group[0] or group[1]
    labels |= {label for label in group.split(";") if "$" not in label}
# Tests are labelled with the name of their backend.
labels |= set(re.findall(r"dgram_available_backends\s+(\w+)\)", cmake))
with open("README.md") as f:
    readme = f.read()

for name, job in jobs.items():
    for step in job.get("steps", []):
        if "uses" in step and step["uses"] not in ACTIONS:
            problems.append(f"{name}: action {step['uses']} is not one of {sorted(ACTIONS)}")
        run = step.get("run")
        if not run:
            continue
        for line in run.splitlines():
            # ${{ ... }} expressions and PowerShell's $env: are the
            # runner's: a placeholder word stands for them.
            line = re.sub(r"\$\{\{[^}]*\}\}", "EXPR", line)
            for command in re.split(r"&&|\|\||;|\|", line):
                words = shlex.split(command, posix=True)
                if not words:
                    continue
                tool = words[0]
                if "/" in tool:
                    if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
                        problems.append(f"{name}: {tool} is not an executable file of the repository")
                    elif tool.startswith("ci/") and tool not in readme:
                        problems.append(f"{name}: {tool} is not in the README")
                elif tool not in RUNNER_TOOLS:
                    problems.append(f"{name}: command {tool!r} is not a known runner tool")
                for i, word in enumerate(words):
                    if word.startswith(REPO_DIRS) and not os.path.exists(word.split(":")[0]):
                        problems.append(f"{name}: {word} does not exist")
                    option = re.match(r"-D(DGRAM_\w+)=", word)
                    if option and option.group(1) not in options:
                        problems.append(f"{name}: {option.group(1)} is not an option of the build")
                    if tool == "ctest" and word == "-L" and i + 1 < len(words):
                        label = words[i + 1]
                        if label not in labels:
                            problems.append(f"{name}: ctest label {label!r} is given to no test ({sorted(labels)})")
                        if f"-L {label}" not in readme:
                            problems.append(f"{name}: 'ctest -L {label}' is not in the README")

for problem in problems:
    print(f"ci/check-workflow.sh: {workflow}: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
steps = sum(len(job.get("steps", [])) for job in jobs.values())
print(f"ci/check-workflow.sh: {workflow}: {len(jobs)} jobs, {steps} steps; "
      "every path, command, option and label exists")
EOF
