//go:build tools

package tools

import _ "github.com/aws/aws-xray-daemon/daemon"
