//go:build tools

package deps

import (
	_ "github.com/gorilla/websocket"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/labstack/echo/v4"
	_ "github.com/lib/pq"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "gopkg.in/yaml.v3"
)
