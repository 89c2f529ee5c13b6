print("stackd")
