module obslab.local/xray-daemon-build

go 1.21

require (
	github.com/aws/aws-sdk-go v1.14.1
	github.com/aws/aws-xray-daemon v3.0.1+incompatible
	github.com/cihub/seelog v0.0.0-20170130134532-f561c5e57575
	github.com/go-ini/ini v1.25.4
	github.com/jmespath/go-jmespath v0.4.0
	github.com/shirou/gopsutil v2.18.12+incompatible
	golang.org/x/net v0.23.0
	gopkg.in/yaml.v2 v2.2.8
)
