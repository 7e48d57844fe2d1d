"""The envío automático: each school's ready days go to SIGE by themselves at its hour,
what is held is explained, and the close is forecast (DESIGN.md "Automation")."""
