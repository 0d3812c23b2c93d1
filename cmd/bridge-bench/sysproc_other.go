//go:build !linux

package main

import "syscall"

// childAttr puts the bridge subprocess in its own process group (a ^C on
// the terminal reaches bridge-bench, which stops the bridge itself).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
