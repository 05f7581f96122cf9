"""AWS X-Ray API for LocalStack Community (see ../../README.md)."""
