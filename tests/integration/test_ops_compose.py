"""The docker-compose stack and its image, checked without a Docker engine:
`docker-compose config` validates the file (Debian's docker-compose, v1;
the file uses the Compose Specification, which v2 reads too), every
environment variable the stack sets is an option the binaries accept (their
--print-config shows it as coming from the environment), and the runtime
image installs every shared library the binaries need."""

import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import DELAY_TIERS, ROOT, binary, clean_env, run_cli

COMPOSE = ROOT / "compose" / "docker-compose.yml"
DOCKERFILE = ROOT / "compose" / "Dockerfile"
LINE = re.compile(r"^([a-z0-9-]+)=(.*) \((default|env|flag)\)$")


@pytest.fixture(scope="module")
def compose():
    exe = shutil.which("docker-compose")
    if not exe:
        pytest.fail("docker-compose not installed (apt-get install docker-compose; "
                    "it is in the Makefile's DEB_TEST)")
    r = subprocess.run([exe, "-f", str(COMPOSE), "config"], capture_output=True,
                       timeout=60, env=clean_env())
    assert r.returncode == 0, f"docker-compose config failed:\n{r.stderr.decode()}"
    return yaml.safe_load(r.stdout)


def test_services(compose):
    svc = compose["services"]
    for name in ("kafka", "topics", "site", "seed", "fetcher", "cleaner"):
        assert name in svc, f"service {name} missing"
    assert svc["kafka"]["image"].startswith("apache/kafka:")
    assert "healthcheck" in svc["kafka"], "kafka needs a healthcheck"
    assert svc["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert svc["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert svc["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("fetcher", "cleaner"):
        assert svc[name]["depends_on"]["topics"]["condition"] == \
            "service_completed_successfully"
        assert svc[name]["build"]["dockerfile"] == "compose/Dockerfile"


def test_cleaner_scales(compose):
    """--scale cleaner=N needs no fixed container name and no host ports."""
    c = compose["services"]["cleaner"]
    assert "container_name" not in c and "ports" not in c


def test_topics_job(compose):
    script = " ".join(compose["services"]["topics"]["command"])
    for t in ("crawl.urls", "crawl.pages", "crawl.records", "crawl.errors"):
        assert f"--topic {t} " in script, f"topic {t} not created"
    # The delay topic and its tiers (the fetcher's default --delay-tiers),
    # each with the URL topic's partition count.
    m = re.search(r'for d in ([^;]*); do\s+t --topic "crawl\.urls\.delayed\$\$d" '
                  r'--partitions "\$\$URL_PARTITIONS"', script)
    assert m, "the delay topics are not created with the URL topic's partitions"
    made = {"crawl.urls.delayed" + d.strip('"') for d in m.group(1).split()}
    assert made == {"crawl.urls.delayed", *(f"crawl.urls.delayed.{t}" for t in DELAY_TIERS)}
    m = re.search(r"max\.message\.bytes=(\d+)", script)
    assert m and int(m.group(1)) >= 8 * 1024 * 1024 + 64 * 1024, \
        "crawl.pages must take an 8 MiB page plus its headers"
    env = compose["services"]["topics"]["environment"]
    assert int(env["URL_PARTITIONS"]) >= 4 and int(env["PAGE_PARTITIONS"]) >= 4


def _print_config(name, env):
    r = run_cli(name, "--print-config", env=clean_env(**env))
    assert r.returncode == 0, (f"{name} rejects the compose environment: "
                               f"{r.stderr.decode(errors='replace')}")
    conf = {}
    for line in r.stdout.decode().splitlines():
        m = LINE.match(line)
        if m:
            conf[m.group(1)] = (m.group(2), m.group(3))
    return conf


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_compose_environment_is_accepted(compose, name):
    env = {k: str(v) for k, v in compose["services"][name]["environment"].items()}
    assert env, f"{name}: no environment in the compose file"
    conf = _print_config(name, env)
    prefix = name.upper() + "_"
    for var, value in env.items():
        if var == "KAFKA_BROKERS":
            opt = "brokers"
        else:
            assert var.startswith(prefix), f"{name}: {var} is not {prefix}*"
            opt = var[len(prefix):].lower().replace("_", "-")
        assert opt in conf, f"{name}: {var} names no option (--{opt})"
        shown, src = conf[opt]
        assert src == "env", f"{name}: --{opt} shows ({src}), want (env) from {var}"
        if re.fullmatch(r"\d+[kKmMgG]", value):
            continue  # sizes print in bytes
        assert shown == value, f"{name}: --{opt}={shown!r}, {var}={value!r}"


def _dockerfile_stages():
    text = DOCKERFILE.read_text()
    stages = re.split(r"(?m)^FROM ", text)[1:]
    assert len(stages) == 2, "Dockerfile: want a build stage and a runtime stage"
    return stages


def _apt_packages(stage):
    m = re.search(r"apt-get install[^\n]*?((?:.*\\\n)+.*)", stage)
    assert m, "stage installs no packages"
    return set(re.findall(r"(?<![-\w])([a-z0-9][a-z0-9.+-]+[a-z0-9])(?=\s|\\|$)",
                          m.group(1))) - {"rm", "rf", "var", "lib", "apt", "lists"}


def test_dockerfile_stages():
    build, runtime = _dockerfile_stages()
    assert build.startswith("debian:bookworm AS build")
    assert runtime.startswith("debian:bookworm-slim")
    assert "make -s all" in build
    assert re.search(r"(?m)^USER (?!root|0\b)\S+", runtime), "runtime must not run as root"
    # The build stage installs the Makefile's DEB_BUILD packages.
    mk = (ROOT / "Makefile").read_text()
    deb_build = re.search(r"DEB_BUILD = ((?:.*\\\n)+.*)", mk).group(1)
    want = {p for p in re.findall(r"[a-z0-9][a-z0-9.+-]+", deb_build) if p.endswith("-dev")}
    missing = want - _apt_packages(build)
    assert not missing, f"Dockerfile build stage lacks {sorted(missing)}"


def _needed_packages(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, check=True).stdout
    pkgs = set()
    for lib in re.findall(rb"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out):
        lib = lib.decode()
        ld = subprocess.run(["ldconfig", "-p"], capture_output=True, check=True).stdout.decode()
        m = re.search(rf"^\s*{re.escape(lib)} .*=> (\S+)$", ld, re.M)
        assert m, f"{lib} not found by ldconfig"
        real = pathlib.Path(m.group(1)).resolve()
        for cand in (str(real), str(real).replace("/usr/lib/", "/lib/", 1)):
            r = subprocess.run(["dpkg", "-S", cand], capture_output=True)
            if r.returncode == 0:
                pkgs.add(r.stdout.decode().split(":")[0])
                break
        else:
            pytest.fail(f"no Debian package owns {real}")
    return pkgs


def test_runtime_image_has_every_needed_library():
    _, runtime = _dockerfile_stages()
    have = _apt_packages(runtime)
    base = {"libc6", "libgcc-s1"}  # in every Debian image
    # A sanitizer build (make test-sanitize) links its runtimes; the image
    # ships the release build, which does not.
    sanitizers = {"libasan8", "libubsan1", "liblsan0", "libtsan2"}
    base |= sanitizers
    for name in ("fetcher", "cleaner"):
        missing = _needed_packages(binary(name)) - have - base
        assert not missing, f"runtime stage lacks {sorted(missing)} needed by {name}"
