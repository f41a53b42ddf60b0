"""Script exported by mlops-jupyter from magics_policy.ipynb: edit the notebook, then re-export."""


# requirements: numpy


import os


def _expand(command, namespace):
    """Expand {expr} and $name in a shell command the way IPython's `!` does."""
    import re

    def _brace(match):
        try:
            return str(eval(match.group(1), {}, namespace))
        except Exception:
            return match.group(0)

    command = re.sub(r"\{([^{}]+)\}", _brace, command)
    command = re.sub(r"(?<!\$)\$([A-Za-z_]\w*)",
                     lambda m: str(namespace[m.group(1)]) if m.group(1) in namespace else m.group(0),
                     command)
    return command.replace("$$", "$")


def _sh(command, namespace=None, shell=None):
    """Run a shell command like IPython's `!cmd` / `%%bash`; its output goes to stdout."""
    import subprocess
    import sys

    if namespace is not None:
        command = _expand(command, namespace)
    sys.stdout.flush()
    sys.stderr.flush()
    if shell:
        subprocess.run([shell, "-c", command], check=False)
    else:
        subprocess.run(command, shell=True, check=False)


def _sh_lines(command, namespace=None):
    """Run a shell command like IPython's `x = !cmd`: return its output as a list of lines."""
    import subprocess

    if namespace is not None:
        command = _expand(command, namespace)
    done = subprocess.run(command, shell=True, check=False, capture_output=True, text=True)
    return (done.stdout + done.stderr).splitlines()


def _write_file(path, text, append=False):
    """Write a cell's text to a file the way IPython's `%%writefile` does."""
    import os

    exists = os.path.exists(path)
    print(("Appending to " if append else "Overwriting " if exists else "Writing ") + path)
    with open(path, "a" if append else "w", encoding="utf-8") as handle:
        handle.write(text)


def _now():
    """Wall clock and CPU times, for translated `%time` / `%%time`."""
    import os
    import time

    return time.perf_counter(), os.times()


def _print_time(start):
    """Print the CPU and wall times since `start` the way `%%time` does."""
    import os
    import time

    def fmt(seconds):
        for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
            if seconds >= scale:
                return f"{seconds / scale:.3g} {unit}"
        return f"{seconds * 1e9:.3g} ns"

    wall, cpu = time.perf_counter() - start[0], os.times()
    user, system = cpu.user - start[1].user, cpu.system - start[1].system
    print(f"CPU times: user {fmt(user)}, sys: {fmt(system)}, total: {fmt(user + system)}")
    print(f"Wall time: {fmt(wall)}")


# %% cell 1, execution count 1
import os


_PARAMETERS = ()


def main(**params):
    """Run the notebook's code top to bottom; keyword arguments override its parameters cell."""
    global files, _time_start, total, squares, n
    _apply_parameters(params)

    # %% cell 2, execution count 2
    pass  # %pip install -q --no-index numpy (see the requirements comment)

    # %% cell 3, execution count 3
    os.environ['MLOPS_DEMO'] = 'hello'
    print('env: MLOPS_DEMO=hello')
    print(os.environ['MLOPS_DEMO'])

    # %% cell 4, execution count 4
    _sh('echo shell says hi', {**globals(), **locals()})
    files = _sh_lines("printf 'a\\nb\\n'", {**globals(), **locals()})
    print(files)

    # %% cell 5, execution count 5
    _sh('echo from bash\necho $((1 + 2))\n', shell='bash')

    # %% cell 6, execution count 6
    _time_start = _now()
    total = sum(range(1000))
    print(total)
    _print_time(_time_start)

    # %% cell 7, execution count 7
    _time_start = _now()
    squares = [i * i for i in range(10)]
    _print_time(_time_start)
    print(squares[-1])

    # %% cell 8, execution count 8
    n = 3
    _sh('echo n is {n}', {**globals(), **locals()})
    if n > 2:
        _sh('echo indented shell line', {**globals(), **locals()})

    # %% cell 9, execution count 9
    _write_file('note.txt', 'hello file\n  second line\n', append=False)

    # %% cell 10, execution count 10
    _write_file('note.txt', 'appended\n', append=True)

    # %% cell 11, execution count 11
    print(repr(open('note.txt').read()))


def _apply_parameters(params):
    """Set the parameters given to main() as globals, after the parameters cell ran."""
    unknown = sorted(set(params) - set(_PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)}; expected one of "
                        f"{', '.join(_PARAMETERS) or '(none: the notebook has no parameters cell)'}")
    globals().update(params)


def _parse_args(argv=None):
    """Parse the command line; only the options given are returned."""
    import argparse

    parser = argparse.ArgumentParser(description='Run magics_policy.ipynb as a script.')
    return vars(parser.parse_args(argv))


if __name__ == "__main__":
    main(**_parse_args())
