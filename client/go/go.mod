// The Go client of tokend. The versions are those of Debian 12's packages,
// which the tests here build against offline (-mod=vendor with a vendor/
// folder made from /usr/share/gocode); see README.md for `go get` with the
// module proxy.
module github.com/tokend/tokend/client/go

go 1.19

require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
	gopkg.in/square/go-jose.v2 v2.6.0
)
