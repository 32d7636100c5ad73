"""Report aggregates and rendering: Rich in the terminal, SVG charts in HTML."""
