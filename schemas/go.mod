module github.com/cemhq/cem/schemas

go 1.26.0
