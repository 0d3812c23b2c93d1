package main

import "syscall"

// childAttr puts the bridge subprocess in its own process group (a ^C on
// the terminal reaches bridge-bench, which stops the bridge itself) and
// has the kernel kill it should bridge-bench die without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
