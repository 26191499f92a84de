# Non-secret settings shared by app, dashboard, scheduler and migrate.
APP_ENV=production
LOG_LEVEL=info
MARKET_DATA_PROVIDER=polygon
BASE_CURRENCY=USD
RISK_FREE_RATE=0.045
VAR_CONFIDENCE=0.99
