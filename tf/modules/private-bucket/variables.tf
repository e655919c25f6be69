variable "name" {
  description = "Globally unique bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the objects."
  type        = string
}

variable "log_bucket" {
  description = "Bucket that receives this bucket's server access logs (under s3/<name>/)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
}

variable "expire_days" {
  description = "Days after which current objects expire; null keeps them forever."
  type        = number
  default     = null
}
