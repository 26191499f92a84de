// Command etcd is etcd 3.6 built from its Go module, because the Debian package (3.4) is
// older than the minimum kube-apiserver v1.34 supports.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
