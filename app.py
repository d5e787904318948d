"""Kirim: creates the Chalice app and registers blueprints and middleware. Nothing else."""
from aws_lambda_powertools import Logger
from chalice import Chalice

from chalicelib.web import middleware
from chalicelib.sending.routes_v1 import v1
from chalicelib.sending.routes_v2 import v2
from chalicelib.applications.routes import console
from chalicelib.web.console_routes import console_static
from chalicelib.monitoring.routes import monitoring_api
from chalicelib.reports.routes import reports_api
from chalicelib.providers.meta_webhook_routes import webhooks
from chalicelib.templates.routes import whatsapp_templates
from chalicelib.workers import workers

app = Chalice(app_name="kirim")
logger = Logger(service="kirim")
# OCA's email route takes multipart form data with a file: API Gateway must pass it as binary.
app.api.binary_types.append("multipart/form-data")

middleware.register(app, logger)
app.register_blueprint(console)
app.register_blueprint(console_static)
app.register_blueprint(v1)
app.register_blueprint(v2)
app.register_blueprint(whatsapp_templates)
app.register_blueprint(monitoring_api)
app.register_blueprint(reports_api)
app.register_blueprint(webhooks)
app.register_blueprint(workers)
