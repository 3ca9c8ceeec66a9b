"""The command lines of build/fetcher and build/cleaner, as operators see
them (design.md, "What operators see"): --help, one-line errors with exit
code 2, environment variables, --print-config with each value's source.
These need no broker (nothing here connects)."""

import re

import pytest

from conftest import DELAY_TIERS, clean_env, run_cli

BINS = ["fetcher", "cleaner"]
ENV_PREFIX = {"fetcher": "FETCHER_", "cleaner": "CLEANER_"}
# Options both binaries share, by the design and the brief.
COMMON = ["--brokers", "--group", "--pages-topic", "--errors-topic"]
OWN = {"fetcher": ["--urls-topic", "--max-inflight", "--max-body", "--allow-private"],
       "cleaner": ["--records-topic", "--workers"]}

LINE = re.compile(r"^([A-Za-z0-9_.-]+)=(.*) \((default|env|flag)\)$")


def print_config(name, *args, env=None):
    r = run_cli(name, "--print-config", *args, env=env)
    assert r.returncode == 0, (f"{name} --print-config {' '.join(args)}: exit "
                               f"{r.returncode}\nstderr: {r.stderr.decode(errors='replace')}")
    out = r.stdout.decode()
    conf = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        m = LINE.match(line)
        assert m, f"{name} --print-config line not 'name=value (source)': {line!r}"
        key = m.group(1).lstrip("-").replace("_", "-")
        conf[key] = (m.group(2), m.group(3))
    assert conf, f"{name} --print-config printed nothing"
    return conf


@pytest.mark.parametrize("name", BINS)
def test_help(name):
    r = run_cli(name, "--help")
    assert r.returncode == 0, r.stderr
    text = (r.stdout + r.stderr).decode()
    for opt in COMMON + OWN[name] + ["--print-config", "--help"]:
        assert opt in text, f"{name} --help does not document {opt}"


@pytest.mark.parametrize("name,args,option", [
    ("fetcher", ["--max-inflight", "abc"], "max-inflight"),
    ("fetcher", ["--max-inflight=abc"], "max-inflight"),
    ("fetcher", ["--max-body", "-5"], "max-body"),
    ("fetcher", ["--max-inflight", "0"], "max-inflight"),        # out of range
    ("fetcher", ["--delay-tiers", "10m,2m"], "delay-tiers"),     # not growing
    ("fetcher", ["--delay-tiers", "5x"], "delay-tiers"),         # unit
    ("fetcher", ["--delay-tiers", "0s"], "delay-tiers"),         # out of range
    ("fetcher", ["--delay-tiers", "2m,"], "delay-tiers"),
    ("fetcher", ["--max-park", "10", "--park-after", "30"], "max-park"),
    ("fetcher", ["--host-rate", "fast"], "host-rate"),          # a decimal, from the table
    ("fetcher", ["--host-rate", "0"], "host-rate"),             # out of range
    ("fetcher", ["--host-rate", "nan"], "host-rate"),
    ("fetcher", ["--log-level", "loud"], "log-level"),          # an enum, from the table
    ("fetcher", ["--tdm", "--robots=false"], "tdm"),            # read with robots.txt
    ("cleaner", ["--workers", "abc"], "workers"),
    ("cleaner", ["--workers", "-1"], "workers"),
    ("cleaner", ["--compression", "brotli"], "compression"),
    ("cleaner", ["--scope", "everywhere"], "scope"),
])
def test_bad_value_is_one_line_exit_2(name, args, option):
    r = run_cli(name, *args)
    err = r.stderr.decode()
    assert r.returncode == 2, f"{name} {' '.join(args)}: exit {r.returncode}, want 2; stderr {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"{name} {' '.join(args)}: want one stderr line, got {lines!r}"
    assert option in lines[0], f"{name}: error line does not name {option}: {lines[0]!r}"


@pytest.mark.parametrize("name", BINS)
def test_bad_value_from_env_exit_2(name):
    var, opt = ({"fetcher": ("FETCHER_MAX_INFLIGHT", "max-inflight"),
                 "cleaner": ("CLEANER_WORKERS", "workers")})[name]
    r = run_cli(name, "--print-config", env=clean_env(**{var: "lots"}))
    err = r.stderr.decode()
    assert r.returncode == 2, f"{var}=lots: exit {r.returncode}, want 2; stderr {err!r}"
    assert len(err.splitlines()) == 1 and opt.replace("-", "_").upper() in err.upper().replace("-", "_")


@pytest.mark.parametrize("name", BINS)
def test_unknown_option_exit_2(name):
    r = run_cli(name, "--no-such-option")
    err = r.stderr.decode()
    assert r.returncode == 2, f"exit {r.returncode}, want 2; stderr {err!r}"
    assert len(err.splitlines()) == 1, err
    assert "no-such-option" in err


@pytest.mark.parametrize("name", BINS)
def test_print_config_defaults(name):
    conf = print_config(name)
    assert conf["brokers"][1] == "default"
    assert conf["group"] == (name, "default")
    assert conf["pages-topic"] == ("crawl.pages", "default")
    assert conf["errors-topic"] == ("crawl.errors", "default")
    if name == "fetcher":
        assert conf["urls-topic"] == ("crawl.urls", "default")
        assert conf["max-inflight"][1] == "default"
        # The harness creates the default tiers' topics (conftest).
        assert conf["delay-tiers"] == (",".join(DELAY_TIERS), "default")
    else:
        assert conf["records-topic"] == ("crawl.records", "default")


@pytest.mark.parametrize("name,opt,env_val,flag_val", [
    ("fetcher", "max-inflight", "77", "55"),
    ("fetcher", "group", "g-env", "g-flag"),
    ("fetcher", "urls-topic", "u.env", "u.flag"),
    ("cleaner", "workers", "3", "2"),
    ("cleaner", "group", "g-env", "g-flag"),
    ("cleaner", "records-topic", "r.env", "r.flag"),
])
def test_env_precedence(name, opt, env_val, flag_val):
    var = ENV_PREFIX[name] + opt.upper().replace("-", "_")
    default = print_config(name)[opt]
    assert default[1] == "default"
    # env beats default
    assert print_config(name, env=clean_env(**{var: env_val}))[opt] == (env_val, "env")
    # flag beats env
    assert print_config(name, f"--{opt}", flag_val,
                        env=clean_env(**{var: env_val}))[opt] == (flag_val, "flag")
    assert print_config(name, f"--{opt}={flag_val}",
                        env=clean_env(**{var: env_val}))[opt] == (flag_val, "flag")


@pytest.mark.parametrize("name", BINS)
def test_kafka_brokers_env(name):
    var = ENV_PREFIX[name] + "BROKERS"
    conf = print_config(name, env=clean_env(KAFKA_BROKERS="k1:9092"))
    assert conf["brokers"] == ("k1:9092", "env")
    # The binary's own variable beats KAFKA_BROKERS, the flag beats both.
    conf = print_config(name, env=clean_env(KAFKA_BROKERS="k1:9092", **{var: "k2:9092"}))
    assert conf["brokers"] == ("k2:9092", "env")
    conf = print_config(name, "--brokers", "k3:9092",
                        env=clean_env(KAFKA_BROKERS="k1:9092", **{var: "k2:9092"}))
    assert conf["brokers"] == ("k3:9092", "flag")
