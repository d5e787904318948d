"""Tools for running Kirim on one machine against moto. Not part of the Lambda package."""
