module github.com/cemhq/cem/services/processor

go 1.26.0
