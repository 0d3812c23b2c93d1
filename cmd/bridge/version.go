package main

import "github.com/bridge-dev/bridge/internal/buildinfo"

func versionString() string { return buildinfo.Read().String() }
