module github.com/bedrock-stream/bedrock-stream/examples-c/go

go 1.19
