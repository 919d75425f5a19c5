# SPDX-License-Identifier: GPL-2.0
"""Boot rdcache's test kernel under QEMU and follow the guest's test channel.

Channels (see scripts/guest/init):
  ttyS0  kernel console              -> <dir>/console.log (QEMU writes it)
  ttyS1  test output, framed lines   -> read here from QEMU's stdout
  isa-debug-exit at 0xf4             -> QEMU's exit status: 2v+1
"""

import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time

EXIT_PORT = "isa-debug-exit,iobase=0xf4,iosize=0x04"
EOF = "\0eof"


def host_has_kvm():
    """KVM only where the CPU advertises vmx/svm and /dev/kvm is usable."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    if not re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.M):
        return False
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


class Boot:
    """One QEMU run.  Iterate events() to follow it."""

    def __init__(self, kernel, initrd, outdir, cmdline, smp, mem="2G", accel="tcg",
                 interactive=False, icount=False):
        self.outdir = outdir
        os.makedirs(outdir, exist_ok=True)
        self.console = os.path.join(outdir, "console.log")
        self.ttys1 = os.path.join(outdir, "ttyS1.log")
        qemu = shutil.which("qemu-system-x86_64")
        if not qemu:
            raise RuntimeError("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
        if icount and (accel != "tcg" or smp != 1):
            raise RuntimeError(f"icount needs TCG and one vCPU, not {accel} with {smp}")
        # icount: guest time counts instructions (shift=0: 1 ns each), idle
        # time is skipped (sleep=off), and one thread runs the vCPU.
        accel_opts = ["-accel", "tcg,thread=single", "-icount", "shift=0,sleep=off"] if icount else ["-accel", accel]
        # The monitor, on a socket of its own (a path short enough for
        # sun_path, whatever outdir is): where the vCPUs are, when a boot hangs.
        self.monitor = None if interactive else os.path.join(
            tempfile.mkdtemp(prefix="rdcache-mon."), "monitor.sock")
        monitor = f"unix:{self.monitor},server=on,wait=off" if self.monitor else "none"
        self.cmd = [
            qemu, *accel_opts, "-smp", str(smp), "-m", mem,
            "-nodefaults", "-display", "none", "-monitor", monitor, "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", cmdline,
            "-device", EXIT_PORT,
        ]
        if accel == "kvm":
            self.cmd += ["-cpu", "host"]
        else:
            # '-cpu max' without 5-level paging: with la57 this kernel's KASAN
            # reports wild accesses in early IRQs; plain qemu64 boots 2x slower.
            self.cmd += ["-cpu", "max,la57=off"]
        if interactive:
            self.cmd += ["-serial", "mon:stdio", "-serial", f"file:{self.ttys1}"]
        else:
            self.cmd += ["-serial", f"file:{self.console}", "-serial", "stdio"]
        with open(os.path.join(outdir, "qemu.cmd"), "w") as f:
            f.write(" ".join(self.cmd) + "\n")
        self.proc = None
        self.started = None

    def interact(self):
        """Run with the console on this terminal (make shell)."""
        return subprocess.call(self.cmd)

    def start(self):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._log = open(self.ttys1, "w")
        self._buf = b""
        self._eof = False
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)

    def elapsed(self):
        return time.monotonic() - self.started

    def readline(self, timeout):
        """The next ttyS1 line; None after `timeout` seconds of silence; EOF
        once QEMU has closed its end (it exited)."""
        deadline = time.monotonic() + timeout
        while True:
            if b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                self._log.write(text + "\n")
                self._log.flush()
                return text
            if self._eof:
                if self._buf:
                    self._buf += b"\n"
                    continue
                return EOF
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self._sel.select(min(left, 1.0)):
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if chunk:
                    self._buf += chunk
                else:
                    self._eof = True

    def wait_exit(self, timeout):
        """QEMU's exit status, or None if it had to be killed."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def close(self):
        self.kill()
        if getattr(self, "_log", None):
            self._log.close()
        if self.monitor:
            shutil.rmtree(os.path.dirname(self.monitor), ignore_errors=True)

    def vcpus(self, timeout=5):
        """[(cpu, rip, halted)] of a running VM, from the monitor's 'info
        registers -a'; [] if QEMU did not answer."""
        if not self.monitor or not self.proc or self.proc.poll() is not None:
            return []
        out = b""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mon:
                mon.settimeout(timeout)
                mon.connect(self.monitor)
                deadline = time.monotonic() + timeout
                sent = False
                while time.monotonic() < deadline:
                    chunk = mon.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                    if out.endswith(b"(qemu) "):
                        if sent:
                            break
                        mon.sendall(b"info registers -a\n")
                        sent, out = True, b""
        except OSError:
            return []
        return parse_vcpus(out.decode("utf-8", "replace"))

    def console_lines(self):
        try:
            with open(self.console, errors="replace") as f:
                return [line.rstrip("\r\n") for line in f]
        except OSError:
            return []


def parse_vcpus(text):
    """[(cpu, rip, halted)] from the text of QEMU's 'info registers -a'."""
    res, cpu = [], None
    for line in text.splitlines():
        m = re.match(r"\s*CPU#(\d+)", line)
        if m:
            cpu = int(m.group(1))
            continue
        m = re.search(r"\bRIP=([0-9a-f]+)\b.*\bHLT=(\d)", line)
        if m and cpu is not None:
            res.append((cpu, int(m.group(1), 16), m.group(2) == "1"))
            cpu = None
    return res
