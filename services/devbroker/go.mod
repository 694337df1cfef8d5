module github.com/cemhq/cem/services/devbroker

go 1.26.0
