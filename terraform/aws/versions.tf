# The AWS Lambda deployment of the HRMS (one `terraform apply`): the
# functions under the Lambda Runtime API (`hrms lambda`), an HTTP API with a
# JWT authorizer, Kafka event source mappings, the functions' DynamoDB
# tables with streams feeding the outbox relay, one IAM role per function,
# alarms. The Knative deployment is ../ (root module); see docs/lambda.md.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = var.tags
  }
}
