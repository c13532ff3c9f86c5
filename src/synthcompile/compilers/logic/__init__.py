"""The logic compiler: formal rule systems turned into exactly verified exercises with traces."""
