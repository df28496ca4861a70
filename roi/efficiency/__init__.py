"""The efficiency vs effectiveness page (issue #16): tool and enablement spend per rep-month
beside the outcomes, each with how sure it is. report builds it, inputs reads it, stats says how
sure, tables and views show it; the API is roi.api.efficiency."""
